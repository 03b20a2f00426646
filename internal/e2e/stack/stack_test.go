package stack

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// The ring of faucet/stack/testdata/ring3.yaml: s1 root (priority 1), s2
// priority 2, s3 none. Port 1 of each is a host; 2 and 3 are stack ports.
func ringConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../../faucet/stack/testdata/ring3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type ring struct {
	lab   *ovslab.Lab
	ctl   *e2etest.Controller
	hosts [3]*ovslab.Host
	// links[i] is the veth of stack link i: s1:2-s2:3, s2:2-s3:3, s3:2-s1:3;
	// the last runs through the wire bridge m, far is its s1 end.
	links [3]*ovslab.Port
	far   *ovslab.Port
}

func newRing(t *testing.T, cfg string) *ring {
	t.Helper()
	return newRingWith(t, cfg, true)
}

// newRingWith builds the ring, with a host on port 1 of each switch when
// hosts is set.
func newRingWith(t *testing.T, cfg string, hosts bool) *ring {
	t.Helper()
	r := &ring{lab: ovslab.New(t)}
	r.ctl = e2etest.Start(t, cfg)
	for i := 1; i <= 3; i++ {
		e2etest.Must[*ovslab.Bridge](t)(r.lab.AddBridge(fmt.Sprintf("s%d", i), uint64(i),
			ovslab.WithController(r.ctl.Target()), ovslab.MaxBackoff(time.Second)))
	}
	attach := func(p *ovslab.Port, bridge string, ofport int) {
		t.Helper()
		br := r.lab.Bridge(bridge)
		if out, err := r.lab.VsctlRaw("add-port", br.OVSName, p.Peer, "--", "set", "interface", p.Peer,
			fmt.Sprintf("ofport_request=%d", ofport)); err != nil {
			t.Fatalf("attaching %s to %s: %v %s", p.Peer, bridge, err, out)
		}
	}
	for i := 0; i < 2; i++ {
		p := e2etest.Must[*ovslab.Port](t)(r.lab.AddPort(fmt.Sprintf("s%d", i+1), 2))
		attach(p, fmt.Sprintf("s%d", i+2), 3)
		r.links[i] = p
	}
	// s3:2-s1:3 runs through a wire bridge "m" without a controller, so
	// the test can silence it without either switch losing carrier.
	e2etest.Must[*ovslab.Bridge](t)(r.lab.AddBridge("m", 9))
	r.links[2] = e2etest.Must[*ovslab.Port](t)(r.lab.AddPort("s3", 2))
	r.far = e2etest.Must[*ovslab.Port](t)(r.lab.AddPort("s1", 3))
	attach(r.links[2], "m", 1)
	attach(r.far, "m", 2)
	for _, f := range []string{"priority=10,in_port=1,actions=output:2", "priority=10,in_port=2,actions=output:1"} {
		if err := r.lab.AddFlow("m", f); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; hosts && i < 3; i++ {
		r.hosts[i] = e2etest.Must[*ovslab.Host](t)(r.lab.AddHost(ovslab.HostSpec{Name: fmt.Sprintf("h%d", i+1),
			Bridge: fmt.Sprintf("s%d", i+1), OFPort: 1, Addrs: []string{fmt.Sprintf("10.0.0.%d/24", i+1)}}))
	}
	return r
}

// waitStack waits until every DP sees root and its want ports UP.
func (r *ring) waitStack(t *testing.T, ctx context.Context, root string, up map[uint64][]uint32) {
	t.Helper()
	for {
		ok := true
		var last []string
		for id := uint64(1); id <= 3; id++ {
			st := r.ctl.App().Manager().StackStatus(id)
			if st == nil || root != "" && st.Root != root {
				ok = false
				last = append(last, fmt.Sprintf("s%d: %+v", id, st))
				continue
			}
			n := 0
			for _, p := range st.Ports {
				if p.State == dp.StackStateName(dp.StackUp) {
					n++
				}
			}
			if n != len(up[id]) {
				ok = false
			}
			last = append(last, fmt.Sprintf("s%d: %+v", id, st))
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("stack did not settle on root %s: %v", root, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestStackRingOnOVS: three switches in a ring reach each other through
// the stack; a broadcast from a host arrives once at every other host and
// not back at its sender; after the root's link to s3 is cut the stack
// fails over (s2 becomes root) and traffic recovers. The recovery time is
// logged; only a generous bound is asserted.
func TestStackRingOnOVS(t *testing.T) {
	r := newRing(t, ringConfig(t))
	ctx := e2etest.Context(t, 120*time.Second)
	for i := 1; i <= 3; i++ {
		if err := r.lab.WaitConnected(ctx, fmt.Sprintf("s%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r.waitStack(t, ctx, "s1", map[uint64][]uint32{1: {2, 3}, 2: {2, 3}, 3: {2, 3}})
	h1, h2, h3 := r.hosts[0], r.hosts[1], r.hosts[2]
	for _, pair := range [][2]*ovslab.Host{{h1, h2}, {h2, h3}, {h3, h1}} {
		if err := pair[0].WaitPing(ctx, pair[1].IP().String()); err != nil {
			t.Fatalf("%s to %s across the stack: %v", pair[0], pair[1], err)
		}
	}
	if st, err := h2.Ping(ctx, h3.IP().String(), 5); err != nil || st.Received != st.Sent {
		t.Fatalf("h2 to h3: %+v %v", st, err)
	}

	// One broadcast from each host: every other host sees it once, the
	// sender only its own copy going out.
	for _, src := range r.hosts {
		r.broadcastOnce(t, ctx, src)
	}

	// The link s3:2-s1:3 goes silent: the wire drops everything, both
	// switches keep their carrier, so only the missed beacons (3 x 1 s)
	// find it. h1's traffic to h3 leaves s1 by port 3 until then.
	if err := r.lab.AddFlow("m", "cookie=0x77,priority=100,actions=drop"); err != nil {
		t.Fatal(err)
	}
	t.Logf("traffic h1->h3 recovered %v after the stack link went silent (LLDP timeout)",
		r.recovery(t, ctx, h1, h3).Round(time.Millisecond))
	// The link comes back: its beacons bring it UP and into the tree.
	if err := r.lab.DelFlows("m", "cookie=0x77/-1"); err != nil {
		t.Fatal(err)
	}
	r.waitStack(t, ctx, "", map[uint64][]uint32{1: {2, 3}, 2: {2, 3}, 3: {2, 3}})
	for _, src := range r.hosts {
		r.broadcastOnce(t, ctx, src)
	}

	// Cut s3:2-s1:3 for good (both ends go away, the switches report it)
	// and time how long h1 takes to reach h3 again, now through s2.
	if err := r.links[2].Delete(); err != nil {
		t.Fatal(err)
	}
	if err := r.far.Delete(); err != nil {
		t.Fatal(err)
	}
	t.Logf("traffic h1->h3 recovered %v after the stack link was cut (port status)",
		r.recovery(t, ctx, h1, h3).Round(time.Millisecond))
	r.waitStack(t, ctx, "s2", map[uint64][]uint32{1: {2}, 2: {2, 3}, 3: {3}})
	if st, err := h1.Ping(ctx, h3.IP().String(), 5); err != nil || st.Received != st.Sent {
		t.Fatalf("h1 to h3 after the cut: %+v %v", st, err)
	}
	for _, src := range r.hosts {
		r.broadcastOnce(t, ctx, src)
	}
}

// recovery pings from a to b until a reply comes and returns how long
// that took. Only a generous bound is asserted.
func (r *ring) recovery(t *testing.T, ctx context.Context, a, b *ovslab.Host) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if st, err := a.Ping(ctx, b.IP().String(), 1); err == nil && st.Received == 1 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%s never reached %s again", a, b)
		}
	}
	d := time.Since(start)
	if d > 30*time.Second {
		t.Errorf("recovery took %v", d)
	}
	return d
}

// broadcastOnce sends one ICMP echo to the subnet broadcast from src and
// counts the copies each host's interface saw.
func (r *ring) broadcastOnce(t *testing.T, ctx context.Context, src *ovslab.Host) {
	t.Helper()
	filter := fmt.Sprintf("icmp and dst host 10.0.0.255 and ether src %s", src.MAC)
	var caps []*ovslab.Capture
	for _, h := range r.hosts {
		c, err := h.Capture(ctx, "", filter)
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, c)
	}
	if out, err := src.Exec(ctx, "ping", "-b", "-c", "1", "-W", "1", "10.0.0.255"); err != nil && ctx.Err() != nil {
		t.Fatalf("ping -b: %v %s", err, out)
	}
	time.Sleep(1500 * time.Millisecond) // let any duplicate or loop show up
	for i, c := range caps {
		pkts, err := c.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) != 1 {
			t.Errorf("broadcast from %s: %s saw %d copies, want 1", src, r.hosts[i], len(pkts))
		}
	}
}
