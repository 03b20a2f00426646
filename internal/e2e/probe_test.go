package e2e

import (
	"net/netip"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// probeConfig has one voice VLAN under a QoS policy, so its pipeline has
// the voip table, which copies neighbour discovery to the controller.
const probeConfig = `
vlans:
  voice:
    vid: 200
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1:
        native_vlan: voice
      2:
        native_vlan: voice
voip:
  qos:
    rtp_port_range: [10000, 20000]
`

// A call endpoint with an IPv6 address the controller has not seen yet (it
// has sent nothing from that address) is found by ProbeIP: a real Linux
// host answers the solicitation from :: and the controller locates the
// address on its port.
func TestOVSProbeLocatesIPv6Endpoint(t *testing.T) {
	lab := ovslab.New(t)
	ctl := e2etest.Start(t, probeConfig)
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("sw1", dpid1, ovslab.WithController(ctl.Target()), ovslab.MaxBackoff(time.Second)))
	for i, name := range []string{"p1", "p2"} {
		e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: name, Bridge: "sw1", OFPort: i + 1,
			Addrs: []string{"fc00::200:" + string(rune('1'+i)) + "/64"}}))
	}
	ctx := e2etest.Context(t, 30*time.Second)
	if err := lab.WaitConnected(ctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	ctl.WaitSynced(ctx, dpid1, 1)

	target := netip.MustParseAddr("fc00::200:2")
	mgr := ctl.App().Manager()
	if loc, ok := mgr.LocateIP(target); ok {
		t.Fatalf("%s located before any probe (%+v): the test would prove nothing", target, loc)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mgr.ProbeIP(ctx, target)
		if loc, ok := mgr.LocateIP(target); ok {
			if loc.Port != 2 || loc.VID != 200 || loc.DPID != dpid1 {
				t.Errorf("LocateIP(%s) = %+v, want port 2 on VLAN 200", target, loc)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not located after probing for 10 s", target)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
