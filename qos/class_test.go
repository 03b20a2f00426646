package qos

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// A leg of a classified call gets its class's DSCP, queue, meter and
// headroom; a leg naming no class, or a class the policy does not have,
// gets the policy's.
func TestPlanLegUsesTheCallsClass(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	q7 := uint32(7)
	q.Classes = []*config.QoSClass{
		{Name: "emergency", DSCP: 34, Meter: false, HeadroomPercent: 10, Queue: &q7},
		{Name: "bulk", DSCP: 10, Meter: true, HeadroomPercent: 50, Queue: q.Queue},
	}
	phone, pbx := netip.MustParseAddr("10.254.0.201"), netip.MustParseAddr("10.254.0.1")
	loc := fakeLocator{phone: {DP: "sw1", DPID: 1, Port: 3, VID: 100}, pbx: {DP: "sw1", DPID: 1, Port: 5, VID: 100}}
	place := func(dpid uint64) (Placement, bool) {
		return Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}}, dpid == 1
	}
	for _, c := range []struct {
		class, actions string
		kbps           uint32
	}{
		{"", "actions=meter:9,set_field:46->ip_dscp,set_queue:5,goto_table:4", 96},
		{"gone", "actions=meter:9,set_field:46->ip_dscp,set_queue:5,goto_table:4", 96},
		{"emergency", "actions=set_field:34->ip_dscp,set_queue:7,goto_table:4", 96},
		{"bulk", "actions=meter:9,set_field:10->ip_dscp,set_queue:5,goto_table:4", 131}, // 87.2 * 1.5
	} {
		leg := Leg{Server: "pbx1", Call: "1.36", ID: "1.37", Codec: "ulaw", Class: c.class,
			Local: netip.AddrPortFrom(pbx, 10018), Remote: netip.AddrPortFrom(phone, 20316)}
		plan, reason := PlanLeg(q, leg, loc, place)
		if reason != "" || len(plan.Streams) != 2 {
			t.Fatalf("class %q: want two streams, got %d (%q)", c.class, len(plan.Streams), reason)
		}
		for _, sp := range plan.Streams {
			flows, _ := sp.WithMeter(9)
			if got := flows[0].String(); !strings.HasSuffix(got, c.actions) {
				t.Errorf("class %q: flow %s, want %s", c.class, got, c.actions)
			}
			if sp.MeterKbps != c.kbps {
				t.Errorf("class %q: meter %d kbps, want %d", c.class, sp.MeterKbps, c.kbps)
			}
			// The rule treats the leg as its class asks, and no other
			// class's leg, nor the leg refused QoS.
			if !Treats(q, leg, sp.Rule()) {
				t.Errorf("class %q: Treats refuses its own plan's rule %+v", c.class, sp.Rule())
			}
			for _, other := range []string{"emergency", "bulk"} {
				o := leg
				o.Class = other
				if other != c.class && Treats(q, o, sp.Rule()) {
					t.Errorf("class %q: its rule treats a %q leg too", c.class, other)
				}
			}
			refused := leg
			refused.BestEffort = true
			if Treats(q, refused, sp.Rule()) {
				t.Errorf("class %q: its rule treats a leg refused QoS", c.class)
			}
		}
	}
}
