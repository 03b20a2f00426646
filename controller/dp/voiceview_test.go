package dp

import (
	"context"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

// The voice placement the per-call planner reads is published when the
// program or the connection changes, not computed per call: none before
// the switch is in sync, the program's voice table and each VLAN's next
// table once it is (the same map on every read), a reload's new VLAN
// without anyone asking, none after a disconnect, none for an unknown DP
// or a DP without a voice table.
func TestVoicePlacementFollowsProgramAndConnection(t *testing.T) {
	ctx := context.Background()
	cfg := mustConfig(t, probeConfig)
	m := startManager(t, cfg, Options{Clock: newFakeClock()})
	if _, ok := m.VoicePlacement(1); ok {
		t.Fatal("a placement before the switch connected")
	}
	sw := newFakeSwitch(1)
	m.SwitchConnected(ctx, sw)
	pl, ok := m.VoicePlacement(1)
	if !ok {
		t.Fatal("no placement once the switch is in sync")
	}
	prog := compiled(t, m, 1)
	want, _ := Placement(cfg.DP("sw1"), prog)
	if table, _ := prog.Tables.ID(pipeline.TableVoIP); pl.Table != table || !reflect.DeepEqual(pl, want) {
		t.Fatalf("placement %+v, want %+v (voip table %d)", pl, want, table)
	}
	if len(pl.Next) != 2 {
		t.Fatalf("next tables %v, want one per VLAN (100, 200)", pl.Next)
	}
	again, _ := m.VoicePlacement(1)
	if reflect.ValueOf(again.Next).UnsafePointer() != reflect.ValueOf(pl.Next).UnsafePointer() {
		t.Error("each read built a new placement; it should be the one published")
	}
	if _, ok := m.VoicePlacement(99); ok {
		t.Error("a placement for an unknown DP")
	}

	// A reload that adds a VLAN publishes its next table.
	withLab := strings.Replace(probeConfig, "vlans:\n", "vlans:\n  lab:\n    vid: 300\n", 1)
	withLab = strings.Replace(withLab, "      4:\n", "      5:\n        native_vlan: lab\n      4:\n", 1)
	if err := m.SetConfig(ctx, mustConfig(t, withLab)); err != nil {
		t.Fatal(err)
	}
	pl, ok = m.VoicePlacement(1)
	if _, has := pl.Next[300]; !ok || !has {
		t.Fatalf("after a reload adding VLAN 300: %+v, %v", pl, ok)
	}
	if got := maps.Clone(pl.Next); len(got) != 3 {
		t.Errorf("next tables %v, want 3 VLANs", got)
	}

	m.Disconnected(1, nil)
	if _, ok := m.VoicePlacement(1); ok {
		t.Error("a placement after the switch disconnected")
	}

	plain := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	plain.SwitchConnected(ctx, newFakeSwitch(1))
	if pl, ok := plain.VoicePlacement(1); ok {
		t.Errorf("a placement %+v for a DP without a voip section", pl)
	}
}
