package dp

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// changedOwners lists the owners whose flows differ between two programs.
func changedOwners(a, b *pipeline.Program) map[string]bool {
	out := map[string]bool{}
	for _, o := range append(a.Owners(), b.Owners()...) {
		fa, fb := a.Flows[o], b.Flows[o]
		if !slices.EqualFunc(fa, fb, func(x, y of13.Flow) bool { return x.Equal(&y) }) {
			out[o] = true
		}
	}
	return out
}

func TestReloadTouchesOnlyChangedOwners(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	ctx := context.Background()
	sw := newFakeSwitch(1)
	m.SwitchConnected(ctx, sw)
	before := compiled(t, m, 1)
	sw.takeSent()

	// Port 2 moves from office to voice.
	moved := strings.Replace(twoVLANs, "      2:\n        native_vlan: office", "      2:\n        native_vlan: voice", 1)
	if moved == twoVLANs {
		t.Fatal("test config edit did not apply")
	}
	if err := m.SetConfig(ctx, mustConfig(t, moved)); err != nil {
		t.Fatal(err)
	}
	after := compiled(t, m, 1)
	changed := changedOwners(before, after)
	for o := range changed {
		if o != "port:2" && o != "vlan:100" && o != "vlan:200" {
			t.Errorf("owner %s changed; the edit should change only port 2 and the two VLANs", o)
		}
	}
	allowed := map[of13.FlowKey]bool{}
	for o := range changed {
		for _, fs := range [][]of13.Flow{before.Flows[o], after.Flows[o]} {
			for _, f := range fs {
				allowed[f.Key()] = true
			}
		}
	}
	sent := sw.takeSent()
	if len(sent) == 0 {
		t.Fatal("reload sent nothing")
	}
	for _, msg := range sent {
		fm, ok := msg.(of13.FlowMod)
		if !ok {
			t.Errorf("unexpected %s", msg.Summary())
			continue
		}
		if !allowed[fm.Key()] {
			t.Errorf("reload touched a flow of an unchanged owner: %s", fm.Summary())
		}
	}
	if sw.closed {
		t.Error("reload closed the switch")
	}
	sameFlows(t, sw.flows(), after.AllFlows())

	// Reapplying the same configuration sends nothing.
	if err := m.SetConfig(ctx, mustConfig(t, moved)); err != nil {
		t.Fatal(err)
	}
	if sent := sw.takeSent(); len(sent) != 0 {
		t.Errorf("unchanged reload sent %d messages", len(sent))
	}
}

func TestReloadAddsAndRemovesDPs(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	ctx := context.Background()
	sw := newFakeSwitch(1)
	m.SwitchConnected(ctx, sw)

	two := twoVLANs + `
  sw2:
    dp_id: 2
    hardware: Open vSwitch
    interfaces:
      1:
        native_vlan: office
`
	if err := m.SetConfig(ctx, mustConfig(t, two)); err != nil {
		t.Fatal(err)
	}
	if !m.Accepts(2) {
		t.Fatal("added DP not accepted")
	}
	sw2 := newFakeSwitch(2)
	m.SwitchConnected(ctx, sw2)
	if len(sw2.flows()) == 0 {
		t.Fatal("added DP's switch got no flows")
	}
	// sw1 goes away: its switch is closed.
	only2 := strings.Replace(two, "  sw1:\n    dp_id: 1\n", "  sw1:\n    dp_id: 3\n", 1)
	if err := m.SetConfig(ctx, mustConfig(t, only2)); err != nil {
		t.Fatal(err)
	}
	if !sw.closed {
		t.Error("switch of a removed DP left connected")
	}
	if sw2.closed {
		t.Error("switch of a kept DP closed")
	}
	var names []string
	m.EachDP(func(s Status) { names = append(names, s.Name) })
	slices.Sort(names)
	if !slices.Equal(names, []string{"sw1", "sw2"}) {
		t.Errorf("DPs after reload = %v", names)
	}
}
