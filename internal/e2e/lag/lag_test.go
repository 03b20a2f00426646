package lag

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/faucet/lacp"
	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// Ports 1 and 2 of sw1 are LAG 7; port 3 is a host on the same VLAN.
const config = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office, lacp: 7}
      2: {native_vlan: office, lacp: 7}
      3: {native_vlan: office}
`

// TestBondComesUpAndSurvivesMemberLoss: a host behind a
// two-member LACP bond negotiates with voipsdn (the bond's partner is
// voipsdn's actor: system = the DP's MAC, key = the LAG ID), reaches a host
// on the switch through the bond, and keeps reaching it after one member's
// link goes away.
func TestBondComesUpAndSurvivesMemberLoss(t *testing.T) {
	lab := ovslab.New(t)
	ctl := e2etest.Start(t, config)
	must := e2etest.Must[*ovslab.Port](t)
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("sw1", 1, ovslab.WithController(ctl.Target()), ovslab.MaxBackoff(time.Second)))
	hb := e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("hb", 2, ovslab.Standalone()))
	m1, m2 := must(lab.AddPort("sw1", 1)), must(lab.AddPort("sw1", 2))
	bond := hb.OVSName + "b"
	if out, err := lab.VsctlRaw("add-bond", hb.OVSName, bond, m1.Peer, m2.Peer, "lacp=active", "bond_mode=balance-slb"); err != nil {
		t.Fatalf("add-bond: %v %s", err, out)
	}
	h1 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "hb", OFPort: 10, Addrs: []string{"10.0.0.1/24"}}))
	h2 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "sw1", OFPort: 3, Addrs: []string{"10.0.0.2/24"}}))
	ctx := e2etest.Context(t, 90*time.Second)
	if err := lab.WaitConnected(ctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	ctl.WaitSynced(ctx, 1, 1)
	dpMAC := ctl.App().Config().DPs[0].FaucetDPMAC.String()

	// The bond negotiates: both members attached, voipsdn as partner.
	show := waitLACP(t, ctx, lab, bond, func(s string) bool {
		return strings.Contains(s, "negotiated") && strings.Count(s, "current attached") == 2
	})
	for _, want := range []string{"partner sys_id: " + dpMAC, "partner key: 7", "partner port_id: 1", "partner port_id: 2",
		"partner sys_priority: 65535"} {
		if !strings.Contains(show, want) {
			t.Errorf("lacp/show lacks %q:\n%s", want, show)
		}
	}
	waitLAGForwarding(t, ctx, ctl, 1, 1, 2)

	if err := h1.WaitPing(ctx, h2.IP().String()); err != nil {
		t.Fatalf("no traffic through the bond: %v", err)
	}
	// Both ways, with a broadcast (ARP) and unicast: 10 pings, no loss.
	if st, err := h1.Ping(ctx, h2.IP().String(), 10); err != nil || st.Received != st.Sent {
		t.Fatalf("pings through the bond: %+v, %v", st, err)
	}

	// One member's link goes away: the bond keeps the other, and so does
	// voipsdn.
	if err := m1.Delete(); err != nil {
		t.Fatal(err)
	}
	waitLAGForwarding(t, ctx, ctl, 1, 2)
	waitLACP(t, ctx, lab, bond, func(s string) bool {
		return strings.Contains(s, "negotiated") && strings.Count(s, "current attached") == 1
	})
	if err := h1.WaitPing(ctx, h2.IP().String()); err != nil {
		t.Fatalf("no traffic after losing a member: %v", err)
	}
	if st, err := h1.Ping(ctx, h2.IP().String(), 10); err != nil || st.Received != st.Sent {
		t.Fatalf("pings after losing a member: %+v, %v", st, err)
	}
}

// waitLACP polls `ovs-appctl lacp/show bond` until ok accepts it.
func waitLACP(t *testing.T, ctx context.Context, lab *ovslab.Lab, bond string, ok func(string) bool) string {
	t.Helper()
	var out string
	for {
		var err error
		out, err = lab.AppctlRaw("lacp/show", bond)
		if err == nil && ok(out) {
			return out
		}
		select {
		case <-ctx.Done():
			t.Fatalf("bond %s did not reach the wanted state: %v\n%s", bond, err, out)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitLAGForwarding waits until exactly the given ports of DP dpid are LAG
// members that forward (actor UP, role SELECTED) in voipsdn.
func waitLAGForwarding(t *testing.T, ctx context.Context, ctl *e2etest.Controller, dpid uint64, ports ...uint32) {
	t.Helper()
	var got []uint32
	for {
		got = got[:0]
		ctl.App().Manager().EachView(func(v dp.View) {
			if v.ID != dpid {
				return
			}
			for _, p := range v.LACP {
				if p.State == lacp.ActorUp && p.Role == lacp.RoleSelected {
					got = append(got, p.Port)
				}
			}
		})
		if equal(got, ports) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("LAG members forwarding %v, want %v", got, ports)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func equal(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
