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
	evs := []Event{LegAnswered{Header: t.header(l.linkedid, at), Leg: l.info}}
	if isUnicast(l) {
		// Its ends may all be known already (VarSet, DialBegin).
		evs = append(evs, t.unicastEvents(l, at)...)
	}
	return evs
}

// queryMedia queues Getvar rtp,dest / rtp,src and Status for a leg.
// Local channels have no RTP of their own and are skipped.
func (t *Tracker) queryMedia(l *leg) {
	if t.opt.Passive || l.info.Local || l.info.Channel == "" {
		return
	}
	if isUnicast(l) {
		t.queryUnicast(l)
		return
	}
	l.tries = 0
	l.destPending, l.srcPending, l.statusPending = true, true, true
	t.reqs = append(t.reqs,
		Request{Kind: KindGetvar, Leg: l.info.Uniqueid, Channel: l.info.Channel, Variable: VarRTPDest},
		Request{Kind: KindGetvar, Leg: l.info.Uniqueid, Channel: l.info.Channel, Variable: VarRTPSrc},
		Request{Kind: KindStatus, Leg: l.info.Uniqueid, Channel: l.info.Channel},
	)
	if t.opt.ClassVariable != "" {
		t.reqs = append(t.reqs, Request{Kind: KindGetvar, Leg: l.info.Uniqueid, Channel: l.info.Channel, Variable: t.opt.ClassVariable})
	}
}

func (t *Tracker) onDial(m ami.Message, at time.Time) []Event {
	dest, evs := t.ensure(m, "Dest", at, false)
	if _, more := t.ensure(m, "", at, false); more != nil {
		evs = append(evs, more...)
	}
	if dest != nil && dest.codec == "" && isUnicast(dest) {
		if c := dialCodec(m.Get("DialString")); c != "" {
			dest.codec, dest.reported = t.names.get(c), false
		}
	}
	status := m.Get("DialStatus")
	if dest == nil || status == "" {
		return evs
	}
	status = t.names.get(status)
	dest.info.DialStatus = status
	if c := t.calls[dest.linkedid]; c != nil {
		c.dialStatus = status
	}
	return evs
}

func (t *Tracker) onVarSet(m ami.Message, at time.Time) []Event {
	if v := m.Get("Variable"); v == VarUnicastLocalAddress || v == VarUnicastLocalPort {
		return t.onUnicastVarSet(m, at)
	}
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
		c.dialStatus = t.names.get(v)
	}
	return evs
}

func (t *Tracker) onBridge(m ami.Message, at time.Time) []Event {
	if ev := m.Event(); ev == "BridgeCreate" || ev == "BridgeDestroy" {
		return nil // only legs entering and leaving matter
	}
	l, evs := t.ensure(m, "", at, false)
	if l == nil {
		return evs
	}
	if m.Event() == "BridgeLeave" {
		l.info.Bridge = ""
		// Out of the bridge, Asterisk anchors the media again. The leg
		// is not reported anew here: it is usually about to hang up. If
		// it joins another bridge, the check there reports it.
		if a := l.alt; a != nil && a.direct {
			l.alt, l.reported = nil, false
		}
		return evs
	}
	if id := m.Get("BridgeUniqueid"); l.info.Bridge != id {
		l.info.Bridge = t.bridgeID(l, id)
	}
	if m.Get("ChannelStateDesc") == "Up" {
		evs = append(evs, t.answer(l, at)...)
	}
	if isUnicast(l) {
		// An external media stream flows once bridged, never direct.
		return append(evs, t.unicastEvents(l, at)...)
	}
	t.checkDirect(l)
	return evs
}

// checkDirect asks the legs of l's bridge whether their media went direct,
// once a second leg of the call is in it.
func (t *Tracker) checkDirect(l *leg) {
	c := t.calls[l.linkedid]
	if c == nil || l.info.Bridge == "" {
		return
	}
	n := 0
	for _, o := range c.legs {
		if o.info.Bridge == l.info.Bridge {
			n++
		}
	}
	if n < 2 {
		return
	}
	for _, o := range c.legs {
		if o.info.Bridge == l.info.Bridge && o.answered {
			t.askDirect(o, t.opt.DirectMediaDelay)
		}
	}
}

// askDirect queues Getvar CHANNEL(rtp,direct) for a leg after delay.
func (t *Tracker) askDirect(l *leg, delay time.Duration) {
	if t.opt.Passive || t.opt.DirectMediaDelay < 0 || l.info.Local || l.info.Channel == "" || l.directPending || isUnicast(l) {
		return
	}
	l.directPending = true
	t.reqs = append(t.reqs, Request{Kind: KindGetvar, Leg: l.info.Uniqueid, Channel: l.info.Channel,
		Variable: VarRTPDirect, Delay: delay})
}

// bridgeID returns a copy of a bridge id for leg l, the one another leg
// of its call already holds if they are in the same bridge, as the two
// legs of a call usually are.
func (t *Tracker) bridgeID(l *leg, id string) string {
	if c := t.calls[l.linkedid]; c != nil {
		for _, o := range c.legs {
			if o.info.Bridge == id {
				return o.info.Bridge
			}
		}
	}
	return own(id)
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
		l.info.Channel = nn
		l.info.Local = strings.HasPrefix(nn, "Local/")
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
		l.info.State = t.names.get(s)
	}
	return t.endLeg(l, cause, t.names.get(m.Get("Cause-txt")), "", at)
}

// endLeg removes a leg and, with its call's last leg, the call.
func (t *Tracker) endLeg(l *leg, cause int, causeText, reason string, at time.Time) []Event {
	delete(t.legs, l.info.Uniqueid)
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
