package qos

import (
	"net/netip"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// A cookie's generation changes neither its category nor its call: every
// flow of one call has the same CallKey whichever run installed it.
func TestCookieGeneration(t *testing.T) {
	c := CallCookie("pbx1", "1700000000.1")
	if CookieGen(c) != 0 {
		t.Fatalf("CallCookie has generation %d; want 0", CookieGen(c))
	}
	g := WithGen(c, 0xbeef)
	if CookieGen(g) != 0xbeef || CallKey(g) != c || !IsCallCookie(g) || g&CookieCallMask != c&CookieCallMask {
		t.Fatalf("WithGen(%#x, 0xbeef) = %#x: gen %#x, key %#x", c, g, CookieGen(g), CallKey(g))
	}
	if WithGen(g, 7) != WithGen(c, 7) {
		t.Error("WithGen does not replace an existing generation")
	}
}

// A store chooses the generation of the flows it installs from a plan.
func TestPlanWithMeterGen(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	leg := Leg{Server: "pbx1", Call: "c", ID: "c.a", Codec: "ulaw"}
	leg.Local, leg.Remote = netip.MustParseAddrPort("10.254.0.1:10018"), netip.MustParseAddrPort("10.254.0.201:20316")
	place := func(uint64) (Placement, bool) {
		return Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}}, true
	}
	plan, r := PlanLeg(q, leg, labLocator(), place)
	if r != "" || len(plan.Streams) != 2 {
		t.Fatalf("plan: %v, %d streams", r, len(plan.Streams))
	}
	flows, _ := plan.Streams[0].WithMeterGen(MeterIDBase, 9)
	for _, f := range flows {
		if CookieGen(f.Cookie) != 9 || CallKey(f.Cookie) != plan.Cookie || f.Instr.Meter != MeterIDBase {
			t.Errorf("flow cookie %#x meter %d; want generation 9 of %#x, meter %d", f.Cookie, f.Instr.Meter, plan.Cookie, MeterIDBase)
		}
	}
	if plain, _ := plan.Streams[0].WithMeter(MeterIDBase); plain[0].Cookie != plan.Cookie {
		t.Errorf("WithMeter changed the cookie to %#x", plain[0].Cookie)
	}
}
