package calltest

import (
	"fmt"
	"io"
	"strings"

	"github.com/voipsdn/voipsdn/internal/netevents"
)

// Verdict is the outcome of a test call.
type Verdict struct {
	// OK: answered, every leg's media got per-call QoS on a switch port
	// (from the phone's own port), within one ptime of media known, and
	// the flows were gone after the hang-up.
	OK bool `json:"ok"`
	// Reason says why not (the first problem found), "" when OK.
	Reason string `json:"reason,omitempty"`
	Server string `json:"server"`
	From   string `json:"from"`
	To     string `json:"to"`
	Call   string `json:"call,omitempty"` // the PBX's Linkedid
	// Answered and OriginateReason: what OriginateResponse said.
	Answered        bool   `json:"answered"`
	OriginateReason int    `json:"originate_reason"`
	OriginateText   string `json:"originate_text,omitempty"`
	// Cause, CauseText, DialStatus: the end record's hang-up cause.
	Cause      int    `json:"cause,omitempty"`
	CauseText  string `json:"cause_text,omitempty"`
	DialStatus string `json:"dial_status,omitempty"`
	Legs       []Leg  `json:"legs"`
	// Removed: no per-call flow of the call was left after the hang-up.
	Removed bool `json:"removed"`
	// FlowReadError: the switch's flows could not be read.
	FlowReadError string  `json:"flow_read_error,omitempty"`
	PtimeMS       float64 `json:"ptime_ms"`
}

// Leg is what one leg of the call got.
type Leg struct {
	Leg     string `json:"leg"`
	Channel string `json:"channel,omitempty"`
	Remote  string `json:"remote,omitempty"` // the phone's RTP address
	Local   string `json:"local,omitempty"`  // the PBX's (or the peer phone's)
	Codec   string `json:"codec,omitempty"`
	// QoS: where the leg's streams are marked; InstallMS the slowest
	// confirmation after media known.
	QoS         []netevents.Placement `json:"qos,omitempty"`
	InstallMS   float64               `json:"install_ms,omitempty"`
	WithinPtime bool                  `json:"within_ptime"`
	BestEffort  string                `json:"best_effort,omitempty"`
	// Packets and Bytes: the leg's per-call flows' counters before the
	// hang-up.
	Packets uint64               `json:"packets"`
	Bytes   uint64               `json:"bytes"`
	Quality []*netevents.Quality `json:"quality,omitempty"`
}

// judge sets OK and Reason from the rest.
func (v *Verdict) judge() {
	v.OK, v.Reason = false, ""
	fail := func(format string, a ...any) {
		if v.Reason == "" {
			v.Reason = fmt.Sprintf(format, a...)
		}
	}
	if !v.Answered {
		fail("not answered: %s", v.OriginateText)
	}
	media := 0
	for _, l := range v.Legs {
		if l.Remote == "" {
			continue
		}
		media++
		switch {
		case l.BestEffort != "":
			fail("leg %s (%s): best effort: %s", l.Leg, l.Remote, l.BestEffort)
		case len(l.QoS) == 0:
			fail("leg %s (%s): no per-call flows confirmed", l.Leg, l.Remote)
		case !fromPhonePort(l.QoS):
			fail("leg %s (%s): best effort: location_unknown (the phone is behind no controlled switch port)", l.Leg, l.Remote)
		case !l.WithinPtime:
			fail("leg %s: flows confirmed %.1f ms after media known, more than one ptime (%.0f ms)", l.Leg, l.InstallMS, v.PtimeMS)
		}
	}
	if v.Answered && media == 0 {
		fail("answered but no leg's media became known")
	}
	if v.Answered && !v.Removed && v.FlowReadError != "" {
		fail("could not read the call's flows: %s", v.FlowReadError)
	}
	if v.Answered && !v.Removed {
		fail("per-call flows left on the switch after the hang-up")
	}
	v.OK = v.Reason == ""
}

// fromPhonePort: the stream the phone sends is matched at its own port.
func fromPhonePort(ps []netevents.Placement) bool {
	for _, p := range ps {
		if p.Direction == "from_phone" && p.Port != 0 {
			return true
		}
	}
	return false
}

// WriteText prints the verdict for a person.
func (v *Verdict) WriteText(w io.Writer) {
	var b strings.Builder
	state := "NOT OK"
	if v.OK {
		state = "OK"
	}
	fmt.Fprintf(&b, "test call %s -> %s on %s: %s\n", v.From, v.To, v.Server, state)
	if v.Reason != "" {
		fmt.Fprintf(&b, "  reason: %s\n", v.Reason)
	}
	fmt.Fprintf(&b, "  answered: %v (%s)", v.Answered, v.OriginateText)
	if v.Call != "" {
		fmt.Fprintf(&b, ", call %s", v.Call)
	}
	b.WriteString("\n")
	if v.Cause != 0 || v.DialStatus != "" {
		fmt.Fprintf(&b, "  ended: cause %d %s %s\n", v.Cause, v.CauseText, v.DialStatus)
	}
	for _, l := range v.Legs {
		fmt.Fprintf(&b, "  leg %s %s: phone %s, pbx %s, codec %s\n", l.Leg, l.Channel, l.Remote, l.Local, l.Codec)
		for _, p := range l.QoS {
			fmt.Fprintf(&b, "    %s on %s (dp %#x) port %d vlan %d dscp %d meter %d\n", p.Direction, p.DPName, p.DPID, p.Port, p.VLAN, p.DSCP, p.MeterID)
		}
		if len(l.QoS) > 0 {
			fmt.Fprintf(&b, "    installed %.1f ms after media known (within ptime: %v); %d packets, %d bytes\n",
				l.InstallMS, l.WithinPtime, l.Packets, l.Bytes)
		}
		if l.BestEffort != "" {
			fmt.Fprintf(&b, "    best effort: %s\n", l.BestEffort)
		}
		for _, q := range l.Quality {
			fmt.Fprintf(&b, "    rtcp %s: jitter %.1f ms, loss %.1f%%, rtt %.1f ms\n", q.Direction, q.JitterMS, 100*q.FractionLost, q.RTTMS)
		}
	}
	if v.Answered {
		fmt.Fprintf(&b, "  flows removed after hang-up: %v\n", v.Removed)
	}
	io.WriteString(w, b.String()) //nolint:errcheck // the caller's writer
}
