package routing

import (
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

const interVLANConfig = `
vlans:
  office: {vid: 100, faucet_vips: ["10.0.1.254/24", "fc00:1::fe/64"]}
  guest: {vid: 200, faucet_vips: ["10.0.2.254/24", "fc00:2::fe/64"]}
routers:
  r1: {vlans: [office, guest]}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
`

// Hosts in two VLANs and subnets reach each other through the VIPs, over
// IPv4 and IPv6, one routed hop apart (the TTL is decremented once).
func TestInterVLANRouting(t *testing.T) {
	lab := newLab(t)
	target := e2etest.Start(t, interVLANConfig).Target()
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(target)))
	h1 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "s1", OFPort: 1,
		Addrs: []string{"10.0.1.1/24", "fc00:1::1/64"}, Gateway4: "10.0.1.254", Gateway6: "fc00:1::fe"}))
	h2 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "s1", OFPort: 2,
		Addrs: []string{"10.0.2.2/24", "fc00:2::2/64"}, Gateway4: "10.0.2.254", Gateway6: "fc00:2::fe"}))
	ctx := e2etest.Context(t, 90*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}

	// The VIPs answer (ARP/ND and echo from the controller).
	for _, c := range []struct {
		h   *ovslab.Host
		vip string
	}{{h1, "10.0.1.254"}, {h1, "fc00:1::fe"}, {h2, "10.0.2.254"}, {h2, "fc00:2::fe"}} {
		if ttl := pingTTL(ctx, t, c.h, c.vip); ttl != 64 {
			t.Errorf("%s -> VIP %s: ttl %d, want 64", c.h, c.vip, ttl)
		}
	}
	// Across the router: the reply crossed one routed hop.
	for _, c := range []struct {
		h   *ovslab.Host
		dst string
	}{{h1, "10.0.2.2"}, {h2, "10.0.1.1"}, {h1, "fc00:2::2"}, {h2, "fc00:1::1"}} {
		if ttl := pingTTL(ctx, t, c.h, c.dst); ttl != 63 {
			t.Errorf("%s -> %s: ttl %d, want 63 (one routed hop)", c.h, c.dst, ttl)
		}
		st, err := c.h.Ping(ctx, c.dst, 10)
		if err != nil || st.Loss() > 0 {
			t.Errorf("%s -> %s: %+v %v", c.h, c.dst, st, err)
		}
	}
	// The host routes are FIB flows that rewrite the MACs and the VLAN.
	flows := e2etest.Must[[]ovslab.Flow](t)(lab.DumpFlows("s1"))
	n := 0
	for _, f := range flows {
		if f.Priority == 0x3000+32 || f.Priority == 0x3000+128 {
			if contains(f.Actions, "dec_ttl") && contains(f.Actions, "mod_dl_dst") || contains(f.Actions, "set_field") && contains(f.Actions, "dec_ttl") {
				n++
			}
		}
	}
	if n < 4 {
		t.Errorf("want host-route FIB flows for 4 hosts, found %d:\n%v", n, flows)
	}
}
