package tracker

import (
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

func (t *Tracker) onState(m ami.Message, at time.Time) []Event {
	l, evs := t.ensure(m, "", at, false)
	if l == nil {
		return evs
	}
	if m.Event() == "Newstate" && m.Get("ChannelStateDesc") == "Up" {
		evs = append(evs, t.answer(l, at)...)
	}
	return evs
}

// answer marks a leg answered, reports it and asks for its media.
func (t *Tracker) answer(l *leg, at time.Time) []Event {
	if l.answered {
		return nil
	}
	l.answered = true
	l.info.State = "Up"
	c := t.calls[l.linkedid]
	if c != nil && c.answeredAt.IsZero() {
		c.answeredAt = at
	}
	t.queryMedia(l)
	return []Event{LegAnswered{Header: t.header(l.linkedid, at), Leg: l.info}}
}

// queryMedia queues Getvar rtp,dest / rtp,src and Status for a leg.
// Local channels have no RTP of their own and are skipped.
func (t *Tracker) queryMedia(l *leg) {
	if t.opt.Passive || l.info.Local || l.info.Channel == "" {
		return
	}
	l.tries = 0
	l.destPending, l.srcPending, l.statusPending = true, true, true
	t.reqs = append(t.reqs,
		Request{Kind: KindGetvar, Leg: l.info.Uniqueid, Channel: l.info.Channel, Variable: VarRTPDest},
		Request{Kind: KindGetvar, Leg: l.info.Uniqueid, Channel: l.info.Channel, Variable: VarRTPSrc},
		Request{Kind: KindStatus, Leg: l.info.Uniqueid, Channel: l.info.Channel},
	)
}

func (t *Tracker) onDial(m ami.Message, at time.Time) []Event {
	dest, evs := t.ensure(m, "Dest", at, false)
	if _, more := t.ensure(m, "", at, false); more != nil {
		evs = append(evs, more...)
	}
	status := m.Get("DialStatus")
	if dest == nil || status == "" {
		return evs
	}
	dest.info.DialStatus = own(status)
	if c := t.calls[dest.linkedid]; c != nil {
		c.dialStatus = status
	}
	return evs
}

func (t *Tracker) onVarSet(m ami.Message, at time.Time) []Event {
	if m.Get("Variable") != "DIALSTATUS" {
		return nil
	}
	v := m.Get("Value")
	if v == "" {
		return nil
	}
	l, evs := t.ensure(m, "", at, false)
	if l == nil {
		return evs
	}
	if c := t.calls[l.linkedid]; c != nil {
		c.dialStatus = v
	}
	return evs
}

func (t *Tracker) onBridge(m ami.Message, at time.Time) []Event {
	id := m.Get("BridgeUniqueid")
	switch m.Event() {
	case "BridgeCreate":
		if t.bridges[id] == nil {
			t.bridges[own(id)] = map[string]bool{}
		}
		return nil
	case "BridgeDestroy":
		delete(t.bridges, id)
		return nil
	}
	l, evs := t.ensure(m, "", at, false)
	if l == nil {
		return evs
	}
	if m.Event() == "BridgeLeave" {
		delete(t.bridges[id], l.info.Uniqueid)
		l.info.Bridge = ""
		return evs
	}
	if t.bridges[id] == nil {
		t.bridges[own(id)] = map[string]bool{}
	}
	t.bridges[id][l.info.Uniqueid] = true
	l.info.Bridge = id
	if m.Get("ChannelStateDesc") == "Up" {
		evs = append(evs, t.answer(l, at)...)
	}
	return evs
}

func (t *Tracker) onLocalBridge(m ami.Message) []Event {
	one, two := t.legs[m.Get("LocalOneUniqueid")], t.legs[m.Get("LocalTwoUniqueid")]
	if one != nil && two != nil {
		one.info.LocalPeer, two.info.LocalPeer = two.info.Uniqueid, one.info.Uniqueid
	}
	return nil
}

func (t *Tracker) onRename(m ami.Message) []Event {
	l := t.legs[m.Get("Uniqueid")]
	if l == nil {
		return nil
	}
	if nn := own(m.Get("Newname")); nn != "" {
		delete(t.byName, l.info.Channel)
		l.info.Channel = nn
		l.info.Local = strings.HasPrefix(nn, "Local/")
		t.byName[nn] = l
	}
	return nil
}

func (t *Tracker) onHangup(m ami.Message, at time.Time) []Event {
	l := t.legs[m.Get("Uniqueid")]
	if l == nil {
		return nil
	}
	cause, _ := m.Int("Cause")
	if s := m.Get("ChannelStateDesc"); s != "" {
		l.info.State = own(s)
	}
	return t.endLeg(l, cause, m.Get("Cause-txt"), "", at)
}

// endLeg removes a leg and, with its call's last leg, the call.
func (t *Tracker) endLeg(l *leg, cause int, causeText, reason string, at time.Time) []Event {
	delete(t.legs, l.info.Uniqueid)
	if t.byName[l.info.Channel] == l {
		delete(t.byName, l.info.Channel)
	}
	if l.info.Bridge != "" {
		delete(t.bridges[l.info.Bridge], l.info.Uniqueid)
	}
	t.remember(l.info.Uniqueid)
	evs := []Event{LegEnded{Header: t.header(l.linkedid, at), Leg: l.info, Cause: cause, CauseText: causeText}}
	c := t.calls[l.linkedid]
	if c == nil {
		return evs
	}
	if c.cause == 0 && cause != 0 {
		c.cause, c.causeText = cause, causeText
	}
	for _, other := range c.legs {
		if t.legs[other.info.Uniqueid] == other {
			return evs // legs remain
		}
	}
	delete(t.calls, c.id)
	end := CallEnded{
		Header: t.header(c.id, at), Cause: c.cause, CauseText: c.causeText,
		DialStatus: c.dialStatus, Answered: !c.answeredAt.IsZero(), Reason: reason,
	}
	if !c.start.IsZero() && !at.IsZero() {
		end.Duration = at.Sub(c.start)
	}
	if end.Answered && !at.IsZero() {
		end.Talk = at.Sub(c.answeredAt)
	}
	for _, x := range c.legs {
		end.Legs = append(end.Legs, x.info)
	}
	return append(evs, end)
}

func (t *Tracker) onOriginate(m ami.Message, at time.Time) []Event {
	r := OriginateResult{
		ActionID: m.ActionID(), Channel: m.Get("Channel"),
		Success: strings.EqualFold(m.Get("Response"), "Success"),
	}
	r.Reason, _ = m.Int("Reason")
	callID := ""
	if uid := m.Get("Uniqueid"); uid != "" && uid != "<unknown>" {
		r.Leg = uid
		if l := t.legs[uid]; l != nil {
			callID = l.linkedid
		}
	}
	r.Header = t.header(callID, at)
	return []Event{r}
}
