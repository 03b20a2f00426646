// Package egress tests Faucet's egress ACLs (acls_out on a VLAN) on a real
// Open vSwitch: what a VLAN's acls_out denies never leaves the switch,
// whether the destination is learned or flooded, and the rest arrives.
package egress

import (
	"context"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// office's acls_out drops ICMP to h2 (10.0.0.2) and lets everything else
// out; guest has none.
const config = `
vlans:
  office:
    vid: 100
    acls_out: [no-ping-h2]
  guest: {vid: 200}
acls:
  no-ping-h2:
    - rule: {dl_type: 0x800, ip_proto: 1, ipv4_dst: 10.0.0.2, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {native_vlan: office}
      4: {native_vlan: guest}
      5: {native_vlan: guest}
`

func newLab(t *testing.T) *ovslab.Lab {
	t.Helper()
	ovslab.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l, err := ovslab.Start(ctx, ovslab.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Logf("ovslab: close: %v", err)
		}
	})
	return l
}

func TestEgressACLOnOVS(t *testing.T) {
	lab := newLab(t)
	ctl := e2etest.Start(t, config)
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(ctl.Target())))
	hosts := map[string]*ovslab.Host{}
	for i, n := range []string{"h1", "h2", "h3", "g4", "g5"} {
		addr := []string{"10.0.0." + string(rune('1'+i)) + "/24"}
		hosts[n] = e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: n, Bridge: "s1", OFPort: i + 1, Addrs: addr}))
	}
	ctx := e2etest.Context(t, 120*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	// Allowed: h1 <-> h3 on office, g4 <-> g5 on guest (no acls_out).
	if err := hosts["h1"].WaitPing(ctx, "10.0.0.3"); err != nil {
		t.Fatalf("h1 -> h3 (allowed by acls_out): %v", err)
	}
	if err := hosts["g4"].WaitPing(ctx, "10.0.0.5"); err != nil {
		t.Fatalf("g4 -> g5 (guest, no acls_out): %v", err)
	}
	// h2 learns h1 over ARP (allowed); every echo request to h2 is
	// dropped on its way out, learned destination or not.
	for _, src := range []string{"h1", "h3"} {
		st, err := hosts[src].Ping(ctx, "10.0.0.2", 3)
		if err != nil && st.Received > 0 {
			t.Fatalf("%s -> h2: %v", src, err)
		}
		if st.Received != 0 {
			t.Errorf("%s -> h2: %d of %d echo requests answered; office's acls_out drops ICMP to 10.0.0.2", src, st.Received, st.Sent)
		}
	}
	// ARP to h2 is allowed: h1 has h2's MAC.
	if out, _ := hosts["h1"].Exec(ctx, "ip", "neigh", "show", "10.0.0.2"); !containsMAC(out, hosts["h2"].MAC.String()) {
		t.Errorf("h1 did not resolve h2 (ARP must pass the egress ACL): %q", out)
	}
	// And the first allowed flow still works after the denials.
	if st, err := hosts["h3"].Ping(ctx, "10.0.0.1", 3); err != nil || st.Received != st.Sent {
		t.Errorf("h3 -> h1 after the denials: %+v %v", st, err)
	}
}

func containsMAC(out, mac string) bool {
	for i := 0; i+len(mac) <= len(out); i++ {
		if out[i:i+len(mac)] == mac {
			return true
		}
	}
	return false
}
