package routing

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

const staticConfig = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.1.254/24", "fc00:1::fe/64"]
    routes:
      - route: {ip_dst: "192.168.50.0/24", ip_gw: "10.0.1.99"}
      - route: {ip_dst: "fd00:50::/64", ip_gw: "fc00:1::99"}
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
      3: {native_vlan: office}
`

// A static route through a gateway host carries traffic to the prefix
// behind it; the gateway's MAC is resolved by the controller's own probes
// (the gateway never talks first).
func TestStaticRouteThroughGateway(t *testing.T) {
	lab := newLab(t)
	target := e2etest.Start(t, staticConfig).Target()
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(target)))
	h2 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "s1", OFPort: 2,
		Addrs: []string{"10.0.2.2/24", "fc00:2::2/64"}, Gateway4: "10.0.2.254", Gateway6: "fc00:2::fe"}))
	gw := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "gw", Bridge: "s1", OFPort: 3,
		Addrs: []string{"10.0.1.99/24", "fc00:1::99/64"}, Gateway4: "10.0.1.254", Gateway6: "fc00:1::fe"}))
	ctx := e2etest.Context(t, 90*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	// The networks behind the gateway: addresses on its loopback, with
	// forwarding on as a router would have it.
	hostSetup(ctx, t, gw,
		[]string{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
		[]string{"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"},
		[]string{"ip", "addr", "add", "192.168.50.1/24", "dev", "lo"},
		[]string{"ip", "addr", "add", "fd00:50::1/64", "dev", "lo"})

	for _, dst := range []string{"192.168.50.1", "fd00:50::1"} {
		// One routed hop each way: the reply's TTL is 63.
		if ttl := pingTTL(ctx, t, h2, dst); ttl != 63 {
			t.Errorf("h2 -> %s: ttl %d, want 63", dst, ttl)
		}
		st, err := h2.Ping(ctx, dst, 10)
		if err != nil || st.Loss() > 0 {
			t.Errorf("h2 -> %s: %+v %v", dst, st, err)
		}
	}
	// A destination the route does not cover is not forwarded.
	if st, _ := h2.Ping(ctx, "192.168.51.1", 2); st.Received != 0 {
		t.Errorf("192.168.51.1 answered without a route: %+v", st)
	}
}

const unreachableConfig = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.1.254/24"]
    routes:
      - route: {ip_dst: "192.168.60.0/24", ip_gw: "10.0.1.77"}
  guest: {vid: 200, faucet_vips: ["10.0.2.254/24"]}
routers:
  r1: {vlans: [office, guest]}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
      3: {native_vlan: office}
`

// A gateway that never answers, and a sweep of dead hosts in a connected
// subnet, cost a few backed-off probes and never stall learning or the
// routing of other traffic.
func TestUnreachableGatewayDoesNotStall(t *testing.T) {
	lab := newLab(t)
	target := e2etest.Start(t, unreachableConfig).Target()
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(target)))
	h1 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "s1", OFPort: 1,
		Addrs: []string{"10.0.1.1/24"}, Gateway4: "10.0.1.254"}))
	e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "s1", OFPort: 2,
		Addrs: []string{"10.0.2.2/24"}, Gateway4: "10.0.2.254"}))
	ctx := e2etest.Context(t, 120*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	// Count the probes for the dead gateway from the start.
	probes := e2etest.Must[*ovslab.Capture](t)(h1.Capture(ctx, "", "arp and arp[24:4] == 0x0a00014d"))
	start := time.Now()

	if ttl := pingTTL(ctx, t, h1, "10.0.2.2"); ttl != 63 {
		t.Fatalf("h1 -> h2 ttl %d", ttl)
	}
	// Sweep 100 dead addresses in the guest subnet while h1 and h2 talk.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 100; i < 200 && sweepCtx.Err() == nil; i++ {
			_, _ = h1.Exec(sweepCtx, "ping", "-n", "-c", "1", "-W", "0.05", fmt.Sprintf("10.0.2.%d", i))
		}
	})
	st, err := h1.Ping(ctx, "10.0.2.2", 30)
	if err != nil || st.Loss() > 0 {
		t.Errorf("routing stalled during the sweep: %+v %v", st, err)
	}
	// Learning goes on: a new host appears and is reachable at once.
	h3 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h3", Bridge: "s1", OFPort: 3,
		Addrs: []string{"10.0.1.3/24"}, Gateway4: "10.0.1.254"}))
	if err := h3.WaitPing(ctx, "10.0.1.1"); err != nil {
		t.Errorf("new host not reachable: %v", err)
	}
	if ttl := pingTTL(ctx, t, h3, "10.0.2.2"); ttl != 63 {
		t.Errorf("h3 -> h2 ttl %d", ttl)
	}
	stopSweep()
	wg.Wait()

	// Backoff: in T seconds 1, 2, 4, 8 ... s apart, never a flood.
	time.Sleep(time.Until(start.Add(10 * time.Second)))
	pk, err := probes.Stop()
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if len(pk) < 2 || len(pk) > 8 {
		t.Errorf("%d probes for the dead gateway in %v, want a few with backoff", len(pk), elapsed.Round(time.Second))
	}
	t.Logf("%d probes for the dead gateway in %v", len(pk), elapsed.Round(time.Second))
}
