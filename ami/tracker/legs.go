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
	l.state = "Up"
	c := t.calls.get(l.call.id)
	if c != nil && c.answeredAt.IsZero() {
		c.answeredAt = at
	}
	t.queryMedia(l)
	evs := []Event{LegAnswered{Header: t.header(l.call.id, at), Leg: l.info()}}
	if isUnicast(l) {
		// Its ends may all be known already (VarSet, DialBegin).
		evs = append(evs, t.unicastEvents(l, at)...)
	}
	return evs
}

// queryMedia queues Getvar rtp,dest / rtp,src and Status for a leg.
// Local channels have no RTP of their own and are skipped.
func (t *Tracker) queryMedia(l *leg) {
	if t.opt.Passive || l.isLocal() || l.channel() == "" {
		return
	}
	if isUnicast(l) {
		t.queryUnicast(l)
		return
	}
	l.tries = 0
	l.destPending, l.srcPending, l.statusPending = true, true, true
	t.reqs = append(t.reqs,
		Request{Kind: KindGetvar, Leg: l.uid(), Channel: l.channel(), Variable: VarRTPDest},
		Request{Kind: KindGetvar, Leg: l.uid(), Channel: l.channel(), Variable: VarRTPSrc},
		Request{Kind: KindStatus, Leg: l.uid(), Channel: l.channel()},
	)
	if t.opt.ClassVariable != "" {
		t.reqs = append(t.reqs, Request{Kind: KindGetvar, Leg: l.uid(), Channel: l.channel(), Variable: t.opt.ClassVariable})
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
	dest.dialStatus = status
	if c := t.calls.get(dest.call.id); c != nil {
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
	if c := t.calls.get(l.call.id); c != nil {
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
		l.bridge = ""
		// Out of the bridge, Asterisk anchors the media again. The leg
		// is not reported anew here: it is usually about to hang up. If
		// it joins another bridge, the check there reports it.
		if a := l.alt(); a != nil && a.direct {
			l.setAlt(nil)
			l.reported = false
		}
		return evs
	}
	if id := m.Get("BridgeUniqueid"); l.bridge != id {
		l.bridge = t.bridgeID(l, id)
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
	c := t.calls.get(l.call.id)
	if c == nil || l.bridge == "" {
		return
	}
	n := 0
	for o := range c.legs() {
		if o.bridge == l.bridge {
			n++
		}
	}
	if n < 2 {
		return
	}
	for o := range c.legs() {
		if o.bridge == l.bridge && o.answered {
			t.askDirect(o, t.opt.DirectMediaDelay)
		}
	}
}

// askDirect queues Getvar CHANNEL(rtp,direct) for a leg after delay.
func (t *Tracker) askDirect(l *leg, delay time.Duration) {
	if t.opt.Passive || t.opt.DirectMediaDelay < 0 || l.isLocal() || l.channel() == "" || l.directPending || isUnicast(l) {
		return
	}
	l.directPending = true
	t.reqs = append(t.reqs, Request{Kind: KindGetvar, Leg: l.uid(), Channel: l.channel(),
		Variable: VarRTPDirect, Delay: delay})
}

// bridgeID returns a copy of a bridge id for leg l, the one another leg
// of its call already holds if they are in the same bridge, as the two
// legs of a call usually are.
func (t *Tracker) bridgeID(l *leg, id string) string {
	if c := t.calls.get(l.call.id); c != nil {
		for o := range c.legs() {
			if o.bridge == id {
				return o.bridge
			}
		}
	}
	return own(id)
}

func (t *Tracker) onLocalBridge(m ami.Message) []Event {
	one, two := t.legs.get(m.Get("LocalOneUniqueid")), t.legs.get(m.Get("LocalTwoUniqueid"))
	if one != nil && two != nil {
		one.setLocalPeer(two.uid())
		two.setLocalPeer(one.uid())
	}
	return nil
}

func (t *Tracker) onRename(m ami.Message) []Event {
	l := t.legs.get(m.Get("Uniqueid"))
	if l == nil {
		return nil
	}
	if nn := m.Get("Newname"); nn != "" {
		l.setIDs(l.uid(), nn)
	}
	return nil
}

func (t *Tracker) onHangup(m ami.Message, at time.Time) []Event {
	l := t.legs.get(m.Get("Uniqueid"))
	if l == nil {
		return nil
	}
	cause, _ := m.Int("Cause")
	if s := m.Get("ChannelStateDesc"); s != "" {
		l.state = t.names.get(s)
	}
	return t.endLeg(l, cause, t.names.get(m.Get("Cause-txt")), "", at)
}

// endLeg removes a leg and, with its call's last leg, the call.
func (t *Tracker) endLeg(l *leg, cause int, causeText, reason string, at time.Time) []Event {
	t.legs.del(l.uid())
	t.remember(l.uid())
	evs := []Event{LegEnded{Header: t.header(l.call.id, at), Leg: l.info(), Cause: cause, CauseText: causeText}}
	c := t.calls.get(l.call.id)
	if c == nil {
		return evs
	}
	if c.cause == 0 && cause != 0 {
		c.cause, c.causeText = cause, causeText
	}
	for other := range c.legs() {
		if t.legs.get(other.uid()) == other {
			return evs // legs remain
		}
	}
	t.calls.del(c.id)
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
	for x := range c.legs() {
		end.Legs = append(end.Legs, x.info())
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
		if l := t.legs.get(uid); l != nil {
			callID = l.call.id
		}
	}
	r.Header = t.header(callID, at)
	return []Event{r}
}
