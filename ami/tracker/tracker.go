package tracker

import (
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// Options configure a Tracker.
type Options struct {
	// Server names the Asterisk server in every event.
	Server string
	// Passive: issue no requests (replays, where the capture holds the
	// answers the original client asked for).
	Passive bool
	// GetvarRetries bounds how often an empty CHANNEL(rtp,...) answer
	// after answer is asked again (default 3, at most 127).
	GetvarRetries int
	// RetryDelay is the wait before such a retry (default 250 ms).
	RetryDelay time.Duration
	// DirectMediaDelay is the wait, after a second leg joins a bridge,
	// before asking each leg whether Asterisk moved its media to a direct
	// path between the phones (pjsip direct_media, on by default in
	// Asterisk): the bridge switches to native RTP and re-INVITEs the
	// phones shortly after both legs are in, and no AMI event says so.
	// Default 500 ms; negative never asks (every endpoint has
	// direct_media = no).
	DirectMediaDelay time.Duration
	// MaxCalls bounds the calls tracked at once (default DefaultMaxCalls)
	// and MaxLegs the channels (default 4 per call: two phones and a
	// Local pair). A channel past either limit is refused: not tracked,
	// reported once as ChannelRefused, and a resync is asked (at most
	// every limitResyncGap) so that calls the server no longer has make
	// room. One server announcing channels without end cannot grow the
	// process without end.
	MaxCalls int
	MaxLegs  int
	// ClassVariable is the channel variable through which the dialplan
	// chooses a call's QoS class without AGI (voip.qos.class_variable,
	// e.g. VOIPSDN_QOS_CLASS); "" asks nothing. Each answered leg is asked
	// for it once (and again after a resync); a value KnownClass accepts
	// (any non-empty value when KnownClass is nil) is reported as
	// Classified.
	ClassVariable string
	KnownClass    func(name string) bool
}

// DefaultMaxCalls is the default bound on calls tracked per server.
const DefaultMaxCalls = 10000

// limitResyncGap spaces the resyncs asked because a limit was reached: a
// server whose calls are all real and over the limit is not asked for its
// whole channel list on every new channel.
const limitResyncGap = 30 * time.Second

// maxGetvarRetries keeps a leg's count of Getvar retries (two variables)
// in a byte.
const maxGetvarRetries = 127

// endedMemory bounds how many ended Uniqueids are remembered, so that a
// resync snapshot taken just before a hangup cannot resurrect the leg.
const endedMemory = 8192

// Tracker is the call-tracking state machine. It is not safe for
// concurrent use.
type Tracker struct {
	opt    Options
	calls  byID[call] // by Linkedid
	legs   byID[leg]  // by Uniqueid
	names  names
	ended  map[string]bool
	endedQ []string
	reqs   []Request
	seq    uint64
	// refused remembers recently refused Uniqueids, so that a refused
	// channel's every later event is not reported again.
	refused  map[string]bool
	refusedQ []string
	// lastLimitResync is when a limit last asked a resync (event time).
	lastLimitResync time.Time
}

// New returns an empty Tracker.
func New(opt Options) *Tracker {
	if opt.GetvarRetries <= 0 {
		opt.GetvarRetries = 3
	}
	opt.GetvarRetries = min(opt.GetvarRetries, maxGetvarRetries)
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = 250 * time.Millisecond
	}
	if opt.DirectMediaDelay == 0 {
		opt.DirectMediaDelay = 500 * time.Millisecond
	}
	if opt.MaxCalls <= 0 {
		opt.MaxCalls = DefaultMaxCalls
	}
	if opt.MaxLegs <= 0 {
		opt.MaxLegs = 4 * opt.MaxCalls
	}
	return &Tracker{
		opt: opt, calls: newByID(func(c *call) string { return c.id }), legs: newByID((*leg).uid),
		ended: map[string]bool{}, refused: map[string]bool{},
	}
}

// TakeRequests returns and clears the actions the tracker wants sent.
func (t *Tracker) TakeRequests() []Request {
	r := t.reqs
	t.reqs = nil
	return r
}

// Calls returns the number of calls and legs currently tracked.
func (t *Tracker) Calls() (calls, legs int) { return t.calls.len(), t.legs.len() }

// CallIDs returns the Linkedids of the calls in progress.
func (t *Tracker) CallIDs() []string {
	out := make([]string, 0, t.calls.len())
	for c := range t.calls.all() {
		out = append(out, c.id)
	}
	return out
}

// Apply feeds one AMI event and returns the lifecycle events it causes.
// now is used when the event has no Timestamp.
func (t *Tracker) Apply(m ami.Message, now time.Time) []Event {
	t.seq++
	at := eventTime(m, now)
	switch m.Event() {
	case "Newchannel":
		_, evs := t.ensure(m, "", at, false)
		return evs
	case "Newstate", "NewConnectedLine", "NewCallerid", "Newexten":
		return t.onState(m, at)
	case "DialBegin", "DialState", "DialEnd":
		return t.onDial(m, at)
	case "VarSet":
		return t.onVarSet(m, at)
	case "BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy":
		return t.onBridge(m, at)
	case "LocalBridge":
		return t.onLocalBridge(m)
	case "Rename":
		return t.onRename(m)
	case "Hold", "Unhold":
		// The re-INVITEs of a hold can take a direct-media call back
		// through Asterisk (music on hold) and out again.
		if l := t.legs.get(m.Get("Uniqueid")); l != nil {
			t.checkDirect(l)
		}
		return nil
	case "Hangup":
		return t.onHangup(m, at)
	case "RTCPSent", "RTCPReceived":
		return t.onRTCP(m, at)
	case "OriginateResponse":
		return t.onOriginate(m, at)
	}
	return nil
}

func (t *Tracker) header(callID string, at time.Time) Header {
	return Header{Server: t.opt.Server, Call: callID, Time: at}
}

// ensure finds or creates the leg described by the channel fields of m
// (prefix "" or "Dest", "LocalOne", ...). It returns nil for messages
// without a usable Uniqueid or for legs that already ended.
func (t *Tracker) ensure(m ami.Message, prefix string, at time.Time, resynced bool) (*leg, []Event) {
	uid := m.Get(prefix + "Uniqueid")
	if uid == "" || uid == "<unknown>" {
		return nil, nil
	}
	if l := t.legs.get(uid); l != nil {
		if s := m.Get(prefix + "ChannelStateDesc"); s != "" {
			l.state = t.names.get(s)
		}
		return l, nil
	}
	if t.ended[uid] || t.refused[uid] {
		return nil, nil
	}
	// The call's id is shared by its legs: copied once, with its first.
	linked := m.Get(prefix + "Linkedid")
	c := t.calls.get(linked)
	if t.legs.len() >= t.opt.MaxLegs || (c == nil && t.calls.len() >= t.opt.MaxCalls) {
		return nil, t.refuse(uid, linked, at)
	}
	// The leg's own strings (and a new call's id) are copied out of the
	// message in one allocation: a leg lives as long as its call, and
	// three small allocations would each pin a part-empty span of a size
	// class that per-message garbage churns through.
	name := m.Get(prefix + "Channel")
	var ids string
	switch {
	case c != nil:
		linked = c.id
		ids = join(uid, name)
	case linked == "" || linked == uid:
		ids = join(uid, name)
		linked = ids[:len(uid)]
	default:
		all := join(uid, name, linked)
		ids, linked = all[:len(uid)+len(name)], all[len(uid)+len(name):]
	}
	isNew := c == nil
	if isNew {
		c = &call{id: linked, start: at}
		t.calls.put(linked, c)
	}
	l := c.newLeg()
	l.ids, l.nuid = ids, uint32(len(uid))
	l.state = t.names.get(m.Get(prefix + "ChannelStateDesc"))
	l.callerID = t.names.get(known(m.Get(prefix + "CallerIDNum")))
	l.exten = t.names.get(m.Get(prefix + "Exten"))
	l.seen = t.seq
	t.legs.put(l.uid(), l)
	if isNew {
		return l, []Event{CallStarted{Header: t.header(linked, at), Leg: l.info(), Resynced: resynced}}
	}
	return l, []Event{LegAdded{Header: t.header(linked, at), Leg: l.info()}}
}

// known maps Asterisk's "<unknown>" placeholder to "".
func known(v string) string {
	if v == "<unknown>" {
		return ""
	}
	return v
}

// eventTime parses Timestamp ("1795501973.118437", seconds since the
// epoch) or returns now.
func eventTime(m ami.Message, now time.Time) time.Time {
	ts := m.Get("Timestamp")
	if ts == "" {
		return now
	}
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return now
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return now
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	return time.Unix(s, ns).UTC()
}

// refuse records a channel turned away by a limit, asks a resync to expire
// what the server no longer has, and reports the refusal.
func (t *Tracker) refuse(uid, linked string, at time.Time) []Event {
	uid = own(uid)
	t.refused[uid] = true
	t.refusedQ = append(t.refusedQ, uid)
	if len(t.refusedQ) > endedMemory {
		delete(t.refused, t.refusedQ[0])
		t.refusedQ = t.refusedQ[1:]
	}
	if !t.opt.Passive && (t.lastLimitResync.IsZero() || at.Sub(t.lastLimitResync) >= limitResyncGap || at.Before(t.lastLimitResync)) {
		t.lastLimitResync = at
		t.reqs = append(t.reqs, t.ResyncRequest())
	}
	limit := LimitLegs
	if t.legs.len() < t.opt.MaxLegs {
		limit = LimitCalls
	}
	return []Event{ChannelRefused{Header: t.header(own(linked), at), Uniqueid: uid, Limit: limit}}
}

func (t *Tracker) remember(uid string) {
	t.ended[uid] = true
	t.endedQ = append(t.endedQ, uid)
	if len(t.endedQ) > endedMemory {
		delete(t.ended, t.endedQ[0])
		t.endedQ = t.endedQ[1:]
	}
}
