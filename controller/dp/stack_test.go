package dp

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/stack"
	"github.com/voipsdn/voipsdn/openflow/of13"
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

// wire delivers the LLDP beacons the fake switches sent on stack ports to
// the peer DPs as packet-ins, except on the ports in cut.
func wire(t *testing.T, m *Manager, cfg *config.Config, sws map[string]*fakeSwitch, cut map[stack.End]bool) {
	t.Helper()
	top := stack.New(cfg)
	for name, sw := range sws {
		for _, msg := range sw.takeSent() {
			po, ok := msg.(of13.PacketOut)
			if !ok || len(po.Actions) != 1 {
				continue
			}
			from := stack.End{DP: name, Port: po.Actions[0].Port}
			peer, ok := top.Peer(from)
			if !ok || cut[from] {
				continue
			}
			m.SwitchPacketIn(sws[peer.DP], packetInOn(peer.Port, po.Data))
		}
	}
	for _, d := range cfg.DPs {
		m.syncDP(t, d.ID)
	}
}

// The runtime end to end, with fake switches: beacons sent on stack ports
// and heard by the peers bring every port UP under the configured root; a
// warm reload keeps them UP and sends no flow change; a link whose
// beacons stop goes GONE after max_lldp_lost intervals and the DPs route
// round it.
func TestStackRuntimeBeaconsReloadAndTimeout(t *testing.T) {
	b, err := os.ReadFile("../../faucet/stack/testdata/ring3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustConfig(t, string(b))
	clk := newFakeClock()
	m := startManager(t, cfg, Options{Clock: clk})
	ctx := context.Background()
	sws := map[string]*fakeSwitch{}
	for _, d := range cfg.DPs {
		sws[d.Name] = newFakeSwitch(d.ID)
		m.SwitchConnected(ctx, sws[d.Name])
	}
	round := func(cut map[stack.End]bool) {
		clk.Advance(time.Second)
		for _, d := range cfg.DPs {
			m.syncDP(t, d.ID)
		}
		wire(t, m, cfg, sws, cut)
	}
	for range 3 {
		round(nil)
	}
	allUp := func(what string, id uint64, root string, up int) {
		t.Helper()
		st := m.StackStatus(id)
		n := 0
		for _, p := range st.Ports {
			if p.State == "UP" {
				n++
			}
		}
		if st.Root != root || n != up {
			t.Fatalf("%s: dp %d: %+v, want root %s and %d ports UP", what, id, st, root, up)
		}
	}
	for id := uint64(1); id <= 3; id++ {
		allUp("start", id, "s1", 2)
	}
	// The stack floods: s2's VLAN flood flow goes towards the root.
	if !slices.ContainsFunc(sws["s2"].flows(), func(f of13.Flow) bool {
		return f.Table == 3 && f.Priority == 8192 && strings.Contains(f.String(), "output:3,pop_vlan,output:1")
	}) {
		t.Fatalf("s2 has no stack flood flow")
	}

	// A warm reload of the same configuration: nothing changes.
	for _, sw := range sws {
		sw.takeSent()
	}
	if err := m.SetConfig(ctx, mustConfig(t, string(b))); err != nil {
		t.Fatal(err)
	}
	for name, sw := range sws {
		for _, msg := range sw.takeSent() {
			if _, ok := msg.(of13.FlowMod); ok {
				t.Fatalf("%s: flow-mod after a reload of the same config: %v", name, msg)
			}
		}
	}
	for id := uint64(1); id <= 3; id++ {
		allUp("after reload", id, "s1", 2)
	}

	// s1:3-s3:2 goes silent both ways: 3 rounds of 1 s later both ends
	// are GONE, and s3 goes towards the root through s2.
	cut := map[stack.End]bool{{DP: "s1", Port: 3}: true, {DP: "s3", Port: 2}: true}
	for range 3 {
		round(cut)
	}
	allUp("silent link", 3, m.StackStatus(3).Root, 1)
	if st := m.StackStatus(3); st.ChosenPort != 3 {
		t.Fatalf("s3 after the silent link: %+v, want towards the root by port 3", st)
	}
}
