package dp

import (
	"os"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/stack"
)

func ringFabric(t *testing.T) (*fabric, *config.Config) {
	t.Helper()
	b, err := os.ReadFile("../../faucet/stack/testdata/ring3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFileBytes("ring3.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	f := newFabric()
	f.configure(cfg)
	for _, n := range []string{"s1", "s2", "s3"} {
		f.setLive(n, true)
	}
	return f, cfg
}

// hearAll makes both ends of every link hear the right beacon.
func hearAll(f *fabric, cfg *config.Config, now time.Time, skip ...stack.End) {
	for _, d := range cfg.DPs {
		for _, p := range d.Ports {
			if p.Stack == nil {
				continue
			}
			e := stack.End{DP: d.Name, Port: p.Number}
			if len(skip) > 0 && (e == skip[0] || len(skip) > 1 && e == skip[1]) {
				continue
			}
			peer := cfg.DP(p.Stack.DP)
			f.heard(now, e, peer.ID, peer.Name, p.Stack.Port)
			f.update(now, d, p.Number)
		}
	}
}

// The root is the configured one even when another candidate's ports come
// up first; it changes only at an election, when the root is unhealthy.
// A cabling error keeps a port out; missed beacons take it GONE.
func TestFabricRootAndLinkHealth(t *testing.T) {
	f, cfg := ringFabric(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if v := f.view("s2"); v == nil || v.Root != "s1" || len(v.Up) != 0 {
		t.Fatalf("before LLDP: %+v", v)
	}
	// s2's ports hear their peers first: s2 is fully healthy a moment
	// before s1, and an election then would pick it.
	s2 := cfg.DP("s2")
	f.heard(now, stack.End{DP: "s2", Port: 2}, 3, "s3", 3)
	f.heard(now, stack.End{DP: "s2", Port: 3}, 1, "s1", 2)
	f.update(now, s2, 0)
	hearAll(f, cfg, now)
	f.maintain(now)
	if v := f.view("s2"); v.Root != "s1" || v.ChosenPort != 3 {
		t.Fatalf("all up: s2 view %+v, want root s1 via port 3", v)
	}

	// A beacon naming the wrong port: BAD, and the link leaves the tree.
	f.heard(now, stack.End{DP: "s3", Port: 2}, 1, "s1", 9)
	if cs := f.update(now, cfg.DP("s3"), 2); len(cs) != 1 || cs[0].to != StackBad {
		t.Fatalf("miscabled port: %+v", cs)
	}
	if v := f.view("s3"); v.ChosenPort != 3 {
		t.Fatalf("s3 with its root link BAD: %+v, want towards the root through s2 (port 3)", v)
	}
	hearAll(f, cfg, now)

	// s1:3-s3:2 goes silent: after max_lldp_lost (3) intervals of 1 s
	// both ends are GONE and s3 goes round by s2, under the same root.
	later := now.Add(3 * time.Second)
	hearAll(f, cfg, later, stack.End{DP: "s1", Port: 3}, stack.End{DP: "s3", Port: 2})
	f.update(later, cfg.DP("s1"), 0)
	f.update(later, cfg.DP("s3"), 0)
	if v := f.view("s3"); v.Root != "s1" || v.ChosenPort != 3 {
		t.Fatalf("after the silent link: s3 %+v", v)
	}
	// The next election finds s1 unhealthy (half its stack ports) and s2
	// healthy: s2 becomes root.
	f.maintain(later.Add(stackRootUpdate))
	if v := f.view("s1"); v.Root != "s2" || v.ChosenPort != 2 {
		t.Fatalf("after the election: s1 %+v, want root s2 via port 2", v)
	}
}
