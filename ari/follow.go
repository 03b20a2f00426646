package ari

import (
	"net/netip"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/call"
)

// Channel variables the Follower asks with GET /ari/channels/{id}/variable.
const (
	VarRTPDest = "CHANNEL(rtp,dest)"
	VarRTPSrc  = "CHANNEL(rtp,src)"
	// VarFormat is the codec on the leg's wire, as the AMI tracker reads
	// Status' Nativeformats: "(ulaw)".
	VarFormat = "CHANNEL(audionativeformat)"
	// VarLocalAddress and VarLocalPort are an external media channel's
	// end on the PBX.
	VarLocalAddress = "UNICASTRTP_LOCAL_ADDRESS"
	VarLocalPort    = "UNICASTRTP_LOCAL_PORT"
	// VarLinkedid names a channel's call; only a resync asks it (see
	// Follower).
	VarLinkedid = "CHANNEL(linkedid)"
)

// Request is a channel variable the Follower wants read. Delay is how long
// to wait before asking (a retry after an empty answer).
type Request struct {
	Channel  string
	Variable string
	Delay    time.Duration
}

// Options configure a Follower.
type Options struct {
	// Server is Header.Server of every event: the PBX's voip.asterisk key.
	Server string
	// MediaRetries bounds the re-asks of an empty CHANNEL(rtp,...) (3).
	MediaRetries int
	// RetryDelay is the wait before such a re-ask (250 ms).
	RetryDelay time.Duration
	// MaxCalls and MaxLegs bound what is followed (10000, 4 x MaxCalls).
	MaxCalls, MaxLegs int
}

// DefaultMaxCalls is Options.MaxCalls' default.
const DefaultMaxCalls = 10000

// endedMemory bounds the remembered ended channel ids, so that a late
// event or a snapshot taken just before a hang-up cannot revive a channel.
const endedMemory = 8192

// Follower turns ARI events into call events. It is a pure state machine:
// no I/O, no clock, no goroutine; not safe for concurrent use.
//
// Calls are named as AMI names them, by Linkedid, which ARI's channel
// object does not carry. Asterisk gives a new channel the Linkedid of the
// channel that requested it (a dialplan Dial) or else its own Uniqueid (an
// ARI originate, an externalMedia channel), and the AMI tracker files a
// leg under the Linkedid it first sees. The Follower does the same from
// the events: a new channel is held back until its Dial event (the caller,
// if any, names its call) or its first other event (its own id); a Local
// channel's ;2 half joins its ;1 half. Linkedids change later, when a
// bridge merges them; like the AMI tracker, the Follower keeps a leg in
// the call it started in. Only a resync, which has no history, asks
// CHANNEL(linkedid) for the channels it did not know, as the AMI
// tracker's CoreShowChannels resync reads the current Linkedid.
type Follower struct {
	opt      Options
	legs     map[string]*leg
	calls    map[string]*callState
	ended    map[string]bool
	endedQ   []string
	reqs     []Request
	seq      uint64
	refused  map[string]bool
	refusedQ []string
}

type callState struct {
	id         string
	legs       []*leg
	start      time.Time
	answeredAt time.Time
	dialStatus string
	cause      int
	causeText  string
}

type leg struct {
	info call.Leg
	call string // "" while the channel's call is not known yet
	seen uint64
	// unicast: an externalMedia (chan_rtp UnicastRTP) channel, whose
	// media is its variables and its name, not CHANNEL(rtp,...).
	unicast bool
	// bridged: an external media channel streams only while bridged
	// (with none it sends nothing), so its media waits for this.
	bridged  bool
	answered bool
	// hangup cause from ChannelHangupRequest, for a ChannelDestroyed
	// without one.
	cause int

	remote, local        netip.AddrPort
	localAddr, localPort string
	codec                string
	codecDone            bool // codec known or not to be had
	pending              map[string]bool
	tries                int
	reported             bool
}

// NewFollower returns an empty Follower.
func NewFollower(opt Options) *Follower {
	if opt.MediaRetries <= 0 {
		opt.MediaRetries = 3
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = 250 * time.Millisecond
	}
	if opt.MaxCalls <= 0 {
		opt.MaxCalls = DefaultMaxCalls
	}
	if opt.MaxLegs <= 0 {
		opt.MaxLegs = 4 * opt.MaxCalls
	}
	return &Follower{
		opt: opt, legs: map[string]*leg{}, calls: map[string]*callState{},
		ended: map[string]bool{}, refused: map[string]bool{},
	}
}

// TakeRequests returns and clears the variables the Follower wants read.
func (f *Follower) TakeRequests() []Request {
	r := f.reqs
	f.reqs = nil
	return r
}

// Seq is the number of events applied so far; Resync's gen.
func (f *Follower) Seq() uint64 { return f.seq }

// Calls returns the number of calls and legs followed.
func (f *Follower) Calls() (calls, legs int) { return len(f.calls), len(f.legs) }

// Known reports whether the channel is followed.
func (f *Follower) Known(id string) bool { return f.legs[id] != nil }

func (f *Follower) header(callID string, at time.Time) call.Header {
	return call.Header{Server: f.opt.Server, Call: callID, Time: at}
}

// Apply feeds one event and returns the call events it causes.
func (f *Follower) Apply(ev Event, now time.Time) []call.Event {
	f.seq++
	at := ev.Time(now)
	switch ev.Type {
	case "Dial":
		return f.onDial(ev, at)
	case "BridgeCreated", "BridgeDestroyed", "BridgeMerged":
		return nil
	}
	if ev.Channel == nil {
		return nil
	}
	l, evs := f.ensure(*ev.Channel, at)
	if l == nil {
		return evs
	}
	switch ev.Type {
	case "ChannelVarset":
		return append(evs, f.onVarset(l, ev.Variable, ev.Value, at)...)
	case "ChannelDialplan", "ChannelCallerId", "ChannelConnectedLine", "ChannelCreated":
		// Not a sign of the channel's call: a dialled channel's Dial
		// event may still come.
		return evs
	}
	evs = append(evs, f.resolve(l, l.info.Uniqueid, at)...)
	switch ev.Type {
	case "ChannelStateChange", "StasisStart", "ChannelEnteredBridge":
		if l.info.State == "Up" && !l.answered {
			evs = append(evs, f.answer(l, at)...)
		}
		if ev.Type == "ChannelEnteredBridge" && ev.Bridge != nil {
			l.info.Bridge, l.bridged = ev.Bridge.ID, true
			if l.answered && !l.reported && len(l.pending) == 0 {
				// Media may settle only once bridged: ask again.
				l.tries = 0
				f.askMedia(l, 0)
			}
			evs = append(evs, f.mediaEvents(l, at)...)
		}
	case "ChannelLeftBridge":
		l.info.Bridge = ""
	case "ChannelHangupRequest":
		if ev.Cause != nil && l.cause == 0 {
			l.cause = *ev.Cause
		}
	case "ChannelDestroyed":
		cause := l.cause
		if ev.Cause != nil {
			cause = *ev.Cause
		}
		evs = append(evs, f.endLeg(l, cause, ev.CauseTxt, "", at)...)
	}
	return evs
}

// ensure finds or creates the leg of ch and updates its name, state and
// caller. A new leg's call is not known yet (see Follower).
func (f *Follower) ensure(ch Channel, at time.Time) (*leg, []call.Event) {
	if ch.ID == "" || f.ended[ch.ID] || f.refused[ch.ID] {
		return nil, nil
	}
	l := f.legs[ch.ID]
	if l == nil {
		if len(f.legs) >= f.opt.MaxLegs {
			return nil, f.refuse(ch.ID, call.LimitLegs, at)
		}
		l = &leg{seen: f.seq, info: call.Leg{Uniqueid: ch.ID}}
		f.legs[ch.ID] = l
	}
	if ch.Name != "" {
		l.info.Channel = ch.Name
		l.info.Local = strings.HasPrefix(ch.Name, "Local/")
		l.unicast = strings.HasPrefix(ch.Name, "UnicastRTP/")
	}
	if ch.State != "" {
		l.info.State = ch.State
	}
	if ch.Caller.Number != "" {
		l.info.CallerID = ch.Caller.Number
	}
	if l.info.Exten == "" && ch.Dialplan.Exten != "" {
		l.info.Exten = ch.Dialplan.Exten
	}
	for _, k := range []string{VarLocalAddress, VarLocalPort} {
		if v, ok := ch.ChannelVars[k]; ok && v != "" {
			f.setUnicastVar(l, k, v)
		}
	}
	var evs []call.Event
	if l.call == "" && l.info.Local && strings.HasSuffix(l.info.Channel, ";2") {
		one := strings.TrimSuffix(l.info.Channel, ";2") + ";1"
		for _, o := range f.legs {
			if o.info.Channel == one && o.call != "" {
				l.info.LocalPeer, o.info.LocalPeer = o.info.Uniqueid, l.info.Uniqueid
				evs = f.resolve(l, o.call, at)
				break
			}
		}
	}
	return l, evs
}

// resolve files a leg whose call was not known under callID.
func (f *Follower) resolve(l *leg, callID string, at time.Time) []call.Event {
	if l.call != "" {
		return nil
	}
	c := f.calls[callID]
	if c == nil && len(f.calls) >= f.opt.MaxCalls {
		delete(f.legs, l.info.Uniqueid)
		return f.refuse(l.info.Uniqueid, call.LimitCalls, at)
	}
	l.call = callID
	var evs []call.Event
	if c == nil {
		c = &callState{id: callID, start: at}
		f.calls[callID] = c
		evs = []call.Event{call.CallStarted{Header: f.header(callID, at), Leg: l.info}}
	} else {
		evs = []call.Event{call.LegAdded{Header: f.header(callID, at), Leg: l.info}}
	}
	c.legs = append(c.legs, l)
	// Asterisk creates a Local pair together, with the requester's
	// Linkedid on both halves: the ;2 created before its ;1 was dialled
	// joins the ;1's call now.
	if l.info.Local && strings.HasSuffix(l.info.Channel, ";1") {
		two := strings.TrimSuffix(l.info.Channel, ";1") + ";2"
		for _, o := range f.legs {
			if o.info.Channel == two && o.call == "" {
				l.info.LocalPeer, o.info.LocalPeer = o.info.Uniqueid, l.info.Uniqueid
				evs = append(evs, f.resolve(o, callID, at)...)
				break
			}
		}
	}
	return evs
}

func (f *Follower) refuse(id, limit string, at time.Time) []call.Event {
	f.refused[id] = true
	f.refusedQ = append(f.refusedQ, id)
	if len(f.refusedQ) > endedMemory {
		delete(f.refused, f.refusedQ[0])
		f.refusedQ = f.refusedQ[1:]
	}
	return []call.Event{call.ChannelRefused{Header: f.header("", at), Uniqueid: id, Limit: limit}}
}

// onDial: the dialled channel (peer) joins its caller's call, or, with no
// caller (an ARI originate, an externalMedia channel), starts its own.
func (f *Follower) onDial(ev Event, at time.Time) []call.Event {
	if ev.Peer == nil {
		return nil
	}
	l, evs := f.ensure(*ev.Peer, at)
	if l == nil {
		return evs
	}
	callID := l.info.Uniqueid
	if ev.Caller != nil {
		if cl, more := f.ensure(*ev.Caller, at); cl != nil {
			evs = append(evs, more...)
			evs = append(evs, f.resolve(cl, cl.info.Uniqueid, at)...)
			if cl.call != "" {
				callID = cl.call
			}
		}
	}
	evs = append(evs, f.resolve(l, callID, at)...)
	if l.unicast && l.codec == "" {
		// chan_rtp's dial string: "10.0.100.204:40000/c(ulaw)".
		if _, opts, ok := strings.Cut(ev.DialString, "/"); ok {
			if i := strings.Index(opts, "c("); i >= 0 {
				if codec, _, ok := strings.Cut(opts[i+2:], ")"); ok && codec != "" {
					l.codec, l.codecDone = codec, true
				}
			}
		}
	}
	if ev.DialStatus != "" {
		l.info.DialStatus = ev.DialStatus
		if c := f.calls[l.call]; c != nil {
			c.dialStatus = ev.DialStatus
		}
	}
	return evs
}

func (f *Follower) answer(l *leg, at time.Time) []call.Event {
	if l.call == "" {
		return nil
	}
	l.answered = true
	if c := f.calls[l.call]; c != nil && c.answeredAt.IsZero() {
		c.answeredAt = at
	}
	evs := []call.Event{call.LegAnswered{Header: f.header(l.call, at), Leg: l.info}}
	f.askMedia(l, 0)
	return append(evs, f.mediaEvents(l, at)...)
}

// endLeg removes a leg and, with its call's last leg, the call.
func (f *Follower) endLeg(l *leg, cause int, causeText, reason string, at time.Time) []call.Event {
	delete(f.legs, l.info.Uniqueid)
	f.ended[l.info.Uniqueid] = true
	f.endedQ = append(f.endedQ, l.info.Uniqueid)
	if len(f.endedQ) > endedMemory {
		delete(f.ended, f.endedQ[0])
		f.endedQ = f.endedQ[1:]
	}
	if l.call == "" {
		return nil // never filed: it said nothing before it went
	}
	evs := []call.Event{call.LegEnded{Header: f.header(l.call, at), Leg: l.info, Cause: cause, CauseText: causeText}}
	c := f.calls[l.call]
	if c == nil {
		return evs
	}
	if c.cause == 0 && cause != 0 {
		c.cause, c.causeText = cause, causeText
	}
	for _, o := range c.legs {
		if f.legs[o.info.Uniqueid] == o {
			return evs
		}
	}
	delete(f.calls, c.id)
	end := call.CallEnded{
		Header: f.header(c.id, at), Cause: c.cause, CauseText: c.causeText,
		DialStatus: c.dialStatus, Answered: !c.answeredAt.IsZero(), Reason: reason,
	}
	if !c.start.IsZero() {
		end.Duration = at.Sub(c.start)
	}
	if end.Answered {
		end.Talk = at.Sub(c.answeredAt)
	}
	for _, x := range c.legs {
		end.Legs = append(end.Legs, x.info)
	}
	return append(evs, end)
}
