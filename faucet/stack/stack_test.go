package stack

import (
	"os"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
)

func ring3(t *testing.T) *Topology {
	t.Helper()
	b, err := os.ReadFile("testdata/ring3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFileBytes("ring3.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	top := New(cfg)
	if top == nil {
		t.Fatal("no topology")
	}
	return top
}

// allUp is every stack port UP and every DP running.
func allUp(t *Topology) State {
	s := State{Up: map[End]bool{}, Live: map[string]bool{}}
	for _, l := range t.Links {
		s.Up[l.A], s.Up[l.Z] = true, true
	}
	for _, n := range t.Names() {
		s.Live[n] = true
	}
	return s
}

func TestRing3Tree(t *testing.T) {
	top := ring3(t)
	if len(top.Links) != 3 || top.Reflection {
		t.Fatalf("links %v reflection %v: want 3 links, no reflection (every DP one hop from the root)", top.Links, top.Reflection)
	}
	s := allUp(top)
	root := top.ElectRoot("", s)
	if root != "s1" {
		t.Fatalf("root %q, want s1 (lowest priority)", root)
	}
	v1, v2, v3 := top.View("s1", root, s), top.View("s2", root, s), top.View("s3", root, s)
	if !v1.IsRoot() || !slices.Equal(v1.Away, []uint32{2, 3}) || len(v1.Towards) != 0 {
		t.Errorf("s1: %+v", v1)
	}
	// s2: port 3 reaches the root directly; port 2 leads to s3, which
	// reaches the root by itself, so it is away and inactive.
	if !slices.Equal(v2.Towards, []uint32{3}) || v2.ChosenPort != 3 || !slices.Equal(v2.Away, []uint32{2}) ||
		!slices.Equal(v2.InactiveAway, []uint32{2}) {
		t.Errorf("s2: %+v", v2)
	}
	if !slices.Equal(v3.Towards, []uint32{2}) || v3.ChosenPort != 2 || !slices.Equal(v3.InactiveAway, []uint32{3}) {
		t.Errorf("s3: %+v", v3)
	}
	if !v2.Edge || !v3.Edge || v1.Edge {
		t.Errorf("edges: s1 %v s2 %v s3 %v", v1.Edge, v2.Edge, v3.Edge)
	}
	// Unicast learning: shortest path goes straight to s3; along the
	// tree (edge_learn_stack_root) it goes by the root.
	if p := v2.PortTowards("s3"); p != 2 {
		t.Errorf("s2 port towards s3 = %d, want 2", p)
	}
	if p := v2.RelativePortTowards("s3"); p != 3 {
		t.Errorf("s2 tree port towards s3 = %d, want 3 (via the root)", p)
	}
	if p := v1.RelativePortTowards("s3"); p != 3 {
		t.Errorf("s1 tree port towards s3 = %d, want 3", p)
	}
	if v2.Pruned(2) || v2.Pruned(3) {
		t.Errorf("s2 ports pruned with all links up")
	}
}

func TestRing3LinkFailover(t *testing.T) {
	top := ring3(t)
	s := allUp(top)
	// Cut s1:3-s3:2 (the root's link to s3): both ends go down. With the
	// default min_stack_health of 1, s1 is no longer healthy and s2 (all
	// its stack ports up) takes over as root, as Faucet's election does.
	delete(s.Up, End{"s3", 2})
	delete(s.Up, End{"s1", 3})
	root := top.ElectRoot("s1", s)
	if root != "s2" {
		t.Fatalf("root %q, want s2 (healthy, next priority)", root)
	}
	v1, v2, v3 := top.View("s1", root, s), top.View("s2", root, s), top.View("s3", root, s)
	if !slices.Equal(v3.Towards, []uint32{3}) || v3.ChosenPort != 3 || len(v3.Away) != 0 || !v3.Pruned(2) {
		t.Errorf("s3: %+v", v3)
	}
	if !slices.Equal(v2.Away, []uint32{2, 3}) || len(v2.InactiveAway) != 0 {
		t.Errorf("s2: %+v", v2)
	}
	if !slices.Equal(v1.Towards, []uint32{2}) || v1.ChosenPort != 2 {
		t.Errorf("s1: %+v", v1)
	}
	// With min_stack_health 0.5 s1 stays healthy and stays root; s3 then
	// reaches it through s2.
	top.DPs["s1"].Stack.MinStackHealth = 0.5
	if root = top.ElectRoot("s1", s); root != "s1" {
		t.Fatalf("root %q, want s1 kept", root)
	}
	v2 = top.View("s2", root, s)
	if !slices.Equal(v2.Away, []uint32{2}) || len(v2.InactiveAway) != 0 || v2.ChosenPort != 3 {
		t.Errorf("s2 under s1: %+v", v2)
	}
}

func TestRootFailover(t *testing.T) {
	top := ring3(t)
	s := allUp(top)
	// s1 goes: its links go with it.
	delete(s.Live, "s1")
	for _, e := range []End{{"s1", 2}, {"s1", 3}, {"s2", 3}, {"s3", 2}} {
		delete(s.Up, e)
	}
	root := top.ElectRoot("s1", s)
	if root != "s2" {
		t.Fatalf("root %q, want s2 (next priority)", root)
	}
	v3 := top.View("s3", root, s)
	if v3.ChosenPort != 3 {
		t.Errorf("s3 towards the new root: %+v", v3)
	}
	// s1 comes back: s2 stays root while healthy.
	s = allUp(top)
	if r := top.ElectRoot(root, s); r != "s2" {
		t.Errorf("root %q after s1 returned, want s2 kept", r)
	}
	if r := top.ElectRoot("", s); r != "s1" {
		t.Errorf("fresh election %q, want s1", r)
	}
}

func TestReflectionForLongChain(t *testing.T) {
	cfg, err := config.LoadFileBytes("chain.yaml", []byte(`
vlans: {v: {vid: 100}}
dps:
  a: {dp_id: 1, stack: {priority: 1}, interfaces: {1: {native_vlan: v}, 2: {stack: {dp: b, port: 1}}}}
  b: {dp_id: 2, interfaces: {1: {stack: {dp: a, port: 2}}, 2: {stack: {dp: c, port: 1}}}}
  c: {dp_id: 3, interfaces: {1: {stack: {dp: b, port: 2}}, 2: {native_vlan: v}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if top := New(cfg); top == nil || !top.Reflection {
		t.Fatalf("a chain of 3 below its root must use reflection")
	}
}
