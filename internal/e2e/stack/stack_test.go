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
	// links[i] is the veth of stack link i: s1:2-s2:3, s2:2-s3:3, s3:2-s1:3.
	links [3]*ovslab.Port
}

func newRing(t *testing.T, cfg string) *ring {
	t.Helper()
	r := &ring{lab: ovslab.New(t)}
	r.ctl = e2etest.Start(t, cfg)
	for i := 1; i <= 3; i++ {
		e2etest.Must[*ovslab.Bridge](t)(r.lab.AddBridge(fmt.Sprintf("s%d", i), uint64(i),
			ovslab.WithController(r.ctl.Target()), ovslab.MaxBackoff(time.Second)))
	}
	for i := 0; i < 3; i++ {
		from, to := fmt.Sprintf("s%d", i+1), fmt.Sprintf("s%d", (i+1)%3+1)
		p := e2etest.Must[*ovslab.Port](t)(r.lab.AddPort(from, 2))
		br := r.lab.Bridge(to)
		if out, err := r.lab.VsctlRaw("add-port", br.OVSName, p.Peer, "--", "set", "interface", p.Peer, "ofport_request=3"); err != nil {
			t.Fatalf("attaching %s to %s: %v %s", p.Peer, to, err, out)
		}
		r.links[i] = p
	}
	for i := 0; i < 3; i++ {
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
			if st == nil || st.Root != root {
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

	// Cut s3:2-s1:3 (both ends go away) and time how long h1 takes to
	// reach h3 again, now through s2.
	cut := time.Now()
	if err := r.links[2].Delete(); err != nil {
		t.Fatal(err)
	}
	var recovered time.Duration
	for {
		if st, err := h1.Ping(ctx, h3.IP().String(), 1); err == nil && st.Received == 1 {
			recovered = time.Since(cut)
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("h1 never reached h3 after the cut")
		}
	}
	t.Logf("traffic h1->h3 recovered %v after the stack link was cut", recovered.Round(time.Millisecond))
	if recovered > 20*time.Second {
		t.Errorf("recovery took %v", recovered)
	}
	r.waitStack(t, ctx, "s2", map[uint64][]uint32{1: {2}, 2: {2, 3}, 3: {3}})
	if st, err := h1.Ping(ctx, h3.IP().String(), 5); err != nil || st.Received != st.Sent {
		t.Fatalf("h1 to h3 after the cut: %+v %v", st, err)
	}
	for _, src := range r.hosts {
		r.broadcastOnce(t, ctx, src)
	}
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
