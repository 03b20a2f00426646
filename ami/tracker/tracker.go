package tracker

import (
	"net/netip"
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
	// after answer is asked again (default 3).
	GetvarRetries int
	// RetryDelay is the wait before such a retry (default 250 ms).
	RetryDelay time.Duration
}

// endedMemory bounds how many ended Uniqueids are remembered, so that a
// resync snapshot taken just before a hangup cannot resurrect the leg.
const endedMemory = 8192

// Tracker is the call-tracking state machine. It is not safe for
// concurrent use.
type Tracker struct {
	opt     Options
	calls   map[string]*call // by Linkedid
	legs    map[string]*leg  // by Uniqueid
	byName  map[string]*leg  // by channel name
	bridges map[string]map[string]bool
	ended   map[string]bool
	endedQ  []string
	reqs    []Request
	seq     uint64
}

type call struct {
	id         string
	legs       []*leg
	start      time.Time
	answeredAt time.Time
	dialStatus string
	cause      int
	causeText  string
}

type leg struct {
	info     Leg
	linkedid string
	seen     uint64 // Apply sequence number when first seen
	answered bool

	remote, local netip.AddrPort // from Getvar
	codec         string
	destPending   bool
	srcPending    bool
	statusPending bool
	tries         int
	sent          MediaKnown // last MediaKnown emitted
	inferred      bool       // sent came from RTCP
}

// New returns an empty Tracker.
func New(opt Options) *Tracker {
	if opt.GetvarRetries <= 0 {
		opt.GetvarRetries = 3
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = 250 * time.Millisecond
	}
	return &Tracker{
		opt: opt, calls: map[string]*call{}, legs: map[string]*leg{},
		byName: map[string]*leg{}, bridges: map[string]map[string]bool{}, ended: map[string]bool{},
	}
}

// TakeRequests returns and clears the actions the tracker wants sent.
func (t *Tracker) TakeRequests() []Request {
	r := t.reqs
	t.reqs = nil
	return r
}

// Calls returns the number of calls and legs currently tracked.
func (t *Tracker) Calls() (calls, legs int) { return len(t.calls), len(t.legs) }

// CallIDs returns the Linkedids of the calls in progress.
func (t *Tracker) CallIDs() []string {
	out := make([]string, 0, len(t.calls))
	for id := range t.calls {
		out = append(out, id)
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
	if l := t.legs[uid]; l != nil {
		if s := m.Get(prefix + "ChannelStateDesc"); s != "" {
			l.info.State = own(s)
		}
		return l, nil
	}
	if t.ended[uid] {
		return nil, nil
	}
	uid = own(uid)
	linked := own(m.Get(prefix + "Linkedid"))
	if linked == "" {
		linked = uid
	}
	name := own(m.Get(prefix + "Channel"))
	l := &leg{
		info: Leg{
			Uniqueid: uid, Channel: name, State: own(m.Get(prefix + "ChannelStateDesc")),
			Local:    strings.HasPrefix(name, "Local/"),
			CallerID: own(known(m.Get(prefix + "CallerIDNum"))), Exten: own(m.Get(prefix + "Exten")),
		},
		linkedid: linked, seen: t.seq,
	}
	t.legs[uid] = l
	if name != "" {
		t.byName[name] = l
	}
	c := t.calls[linked]
	var evs []Event
	if c == nil {
		c = &call{id: linked, start: at}
		t.calls[linked] = c
		evs = append(evs, CallStarted{Header: t.header(linked, at), Leg: l.info, Resynced: resynced})
	} else {
		evs = append(evs, LegAdded{Header: t.header(linked, at), Leg: l.info})
	}
	c.legs = append(c.legs, l)
	return l, evs
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

func (t *Tracker) remember(uid string) {
	t.ended[uid] = true
	t.endedQ = append(t.endedQ, uid)
	if len(t.endedQ) > endedMemory {
		delete(t.ended, t.endedQ[0])
		t.endedQ = t.endedQ[1:]
	}
}

// own copies a field out of its message. Message fields share one string
// per message, so keeping any field would keep the whole message (about a
// kilobyte) alive for as long as the call lasts.
func own(s string) string { return strings.Clone(s) }
