package pipeline

import (
	"net/netip"
	"strings"
	"testing"
)

// Routed packets get dec_ttl except on the hardware whose Faucet valve
// class sets DEC_TTL = False (Aruba, Allied-Telesis).
func TestRouteDecTTLFollowsHardware(t *testing.T) {
	for hw, want := range map[string]bool{"Open vSwitch": true, "Allied-Telesis": false, "Aruba": false} {
		yaml := strings.Replace(routeGoldenConfig, "dp_id: 1\n", "dp_id: 1\n    hardware: "+hw+"\n", 1)
		dp := loadDP(t, yaml)
		if dp.Hardware != hw {
			t.Fatalf("hardware %q not set: %q", hw, dp.Hardware)
		}
		l := NewLearned()
		if _, err := l.SetRoute(dp, FIBEntry{Prefix: netip.MustParsePrefix("10.99.0.0/16"), VID: 100, MAC: mac("00:00:00:00:01:01")}); err != nil {
			t.Fatal(err)
		}
		routes, dec := 0, 0
		for _, f := range compileOrFail(t, dp, l).AllFlows() {
			s := f.String()
			if !strings.Contains(s, "10.99.0.0/16") {
				continue
			}
			routes++
			if strings.Contains(s, "dec_ttl") {
				dec++
			}
		}
		if routes == 0 {
			t.Fatalf("%s: no flow for the resolved route", hw)
		}
		if got := dec == routes; got != want || dec != 0 && dec != routes {
			t.Errorf("%s: %d of %d route flows have dec_ttl, want dec_ttl %v", hw, dec, routes, want)
		}
	}
}
