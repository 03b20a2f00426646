package calltest

import (
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/internal/netevents"
)

func TestJudge(t *testing.T) {
	atPort := []netevents.Placement{{DPID: 1, Port: 1, Direction: "from_phone"}, {DPID: 1, Port: 5, Direction: "to_phone"}}
	good := func() Verdict {
		return Verdict{Answered: true, Removed: true, PtimeMS: 20,
			Legs: []Leg{{Leg: "a", Remote: "10.0.0.1:20000", QoS: atPort, InstallMS: 1, WithinPtime: true}}}
	}
	for _, c := range []struct {
		name   string
		change func(*Verdict)
		reason string // "" : OK
	}{
		{"all good", func(*Verdict) {}, ""},
		{"busy", func(v *Verdict) { v.Answered, v.OriginateText = false, originateReason(5) }, "not answered: busy"},
		{"best effort", func(v *Verdict) { v.Legs[0].BestEffort = "meter_table_full" }, "best effort: meter_table_full"},
		{"phone not located", func(v *Verdict) { v.Legs[0].QoS = atPort[1:] }, "location_unknown"},
		{"no flows", func(v *Verdict) { v.Legs[0].QoS = nil }, "no per-call flows"},
		{"slow", func(v *Verdict) { v.Legs[0].WithinPtime, v.Legs[0].InstallMS = false, 35 }, "more than one ptime"},
		{"left behind", func(v *Verdict) { v.Removed = false }, "left on the switch"},
		{"no media", func(v *Verdict) { v.Legs = nil }, "no leg's media"},
		{"a leg without media is not judged", func(v *Verdict) { v.Legs = append(v.Legs, Leg{Leg: "b"}) }, ""},
	} {
		v := good()
		c.change(&v)
		v.judge()
		if v.OK != (c.reason == "") || !strings.Contains(v.Reason, c.reason) {
			t.Errorf("%s: ok %v, reason %q; want %q", c.name, v.OK, v.Reason, c.reason)
		}
	}
}
