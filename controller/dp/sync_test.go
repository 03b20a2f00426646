package dp

import (
	"context"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

const twoVLANs = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.0.254/24"]
  voice:
    vid: 200
acls:
  block-udp:
    - rule:
        dl_type: 0x800
        nw_proto: 17
        udp_dst: 5001
        actions:
          allow: false
    - rule:
        actions:
          allow: true
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1:
        native_vlan: office
      2:
        native_vlan: office
        acls_in: [block-udp]
      3:
        native_vlan: voice
      4:
        tagged_vlans: [office, voice]
`

func compiled(t *testing.T, m *Manager, dpid uint64) *pipeline.Program {
	t.Helper()
	prog, _, err := m.Program(context.Background(), dpid)
	if err != nil || prog == nil {
		t.Fatalf("Program: %v", err)
	}
	return prog
}

func sameFlows(t *testing.T, got, want []of13.Flow) {
	t.Helper()
	g := map[of13.FlowKey]of13.Flow{}
	for _, f := range got {
		g[f.Key()] = f
	}
	if len(got) != len(want) {
		t.Errorf("switch has %d flows, want %d", len(got), len(want))
	}
	for _, f := range want {
		h, ok := g[f.Key()]
		if !ok {
			t.Errorf("missing flow %s", f.String())
			continue
		}
		if !h.Equal(&f) {
			t.Errorf("flow differs:\n got %s\nwant %s", h.String(), f.String())
		}
	}
}

func TestConnectInstallsProgram(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newFakeSwitch(1)
	m.SwitchConnected(context.Background(), sw)
	prog := compiled(t, m, 1)
	sameFlows(t, sw.flows(), prog.AllFlows())
	if len(prog.AllFlows()) == 0 {
		t.Fatal("empty program")
	}
	var st Status
	m.EachDP(func(s Status) { st = s })
	if !st.Connected || st.Syncs != 1 || st.Flows != len(prog.AllFlows()) {
		t.Errorf("status = %+v", st)
	}
}

// A restarted controller finds its flows on the switch: it must delete only
// what is no longer wanted, re-add nothing that is unchanged, and leave flows
// with other cookies alone.
func TestReconnectSendsOnlyDifference(t *testing.T) {
	cfg := mustConfig(t, twoVLANs)
	m := startManager(t, cfg, Options{Clock: newFakeClock()})
	prog := compiled(t, m, 1)
	sw := newFakeSwitch(1)
	all := prog.AllFlows()
	if err := sw.t.AddFlows(all[1:]...); err != nil { // one wanted flow missing
		t.Fatal(err)
	}
	stale := of13.Flow{Table: 0, Priority: 9999, Match: of13.NewMatch(of13.InPort(77)), Cookie: cfg.DPs[0].Cookie}
	foreign := of13.Flow{Table: 0, Priority: 9998, Match: of13.NewMatch(of13.InPort(78)), Cookie: 0x5643 << 48}
	if err := sw.t.AddFlows(stale, foreign); err != nil {
		t.Fatal(err)
	}
	m.SwitchConnected(context.Background(), sw)
	sent := sw.takeSent()
	if len(sent) != 2 {
		t.Fatalf("sent %d messages, want 2 (add the missing flow, delete the stale one): %v", len(sent), sent)
	}
	if fm := sent[0].(of13.FlowMod); fm.Command != of13.FlowDeleteStrict || fm.Key() != stale.Key() {
		t.Errorf("first message %s, want delete of the stale flow", fm.Summary())
	}
	if fm := sent[1].(of13.FlowMod); fm.Command != of13.FlowAdd || fm.Key() != all[0].Key() {
		t.Errorf("second message %s, want add of the missing flow", fm.Summary())
	}
	sameFlows(t, sw.flows(), append(all, foreign))
}

func TestUnknownSwitchClosed(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newFakeSwitch(42)
	if m.Accepts(42) {
		t.Error("Accepts(42) = true for an unconfigured DP")
	}
	m.SwitchConnected(context.Background(), sw)
	if !sw.closed {
		t.Error("switch with unknown dpid not closed")
	}
	if len(sw.takeSent()) != 0 {
		t.Error("messages sent to an unknown switch")
	}
}

func TestApplyOwnerReplayedOnReconnect(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	ctx := context.Background()
	sw := newFakeSwitch(1)
	m.SwitchConnected(ctx, sw)
	call := of13.Flow{Table: 0, Priority: 9000, Match: of13.NewMatch(of13.InPort(3)), Cookie: 0x5643<<48 | 7,
		Instr: of13.Goto(1)}
	if err := m.ApplyOwner(ctx, 1, "call:7", []of13.Flow{call}); err != nil {
		t.Fatal(err)
	}
	if _, ok := sw.t.Flow(call.Key()); !ok {
		t.Fatal("ApplyOwner flow not installed")
	}
	// The switch restarts empty; the owner's flow comes back.
	m.Disconnected(1, nil)
	sw2 := newFakeSwitch(1)
	m.SwitchConnected(ctx, sw2)
	if _, ok := sw2.t.Flow(call.Key()); !ok {
		t.Fatal("ApplyOwner flow not replayed on reconnect")
	}
	got, err := m.Flows(ctx, 1, 0x5643<<48, 0xffff<<48)
	if err != nil || len(got) != 1 {
		t.Fatalf("Flows = %v, %v; want the one call flow", got, err)
	}
	if err := m.ApplyOwner(ctx, 1, "call:7", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := sw2.t.Flow(call.Key()); ok {
		t.Fatal("ApplyOwner(nil) left the flow")
	}
	if err := m.ApplyOwner(ctx, 99, "x", nil); err == nil {
		t.Error("ApplyOwner on an unknown DP succeeded")
	}
}

// A restarted controller adopts the hosts whose flows the switch holds:
// nothing is deleted or re-sent, and the hosts are located at once.
func TestRestartAdoptsLearnedHosts(t *testing.T) {
	cfg := mustConfig(t, twoVLANs)
	m1 := startManager(t, cfg, Options{Clock: newFakeClock()})
	sw := newFakeSwitch(1)
	ctx := context.Background()
	m1.SwitchConnected(ctx, sw)
	m1.SwitchPacketIn(sw, packetInOn(1, frame(hostA, "0e:00:00:00:00:0b", 100, 0x0800, nil)))
	m1.syncDP(t, 1)
	before := sw.flows()
	sw.takeSent()

	m2 := startManager(t, cfg, Options{Clock: newFakeClock()})
	m2.SwitchConnected(ctx, sw)
	if sent := sw.takeSent(); len(sent) != 0 {
		t.Errorf("restarted controller sent %d messages to a switch already in sync: %v", len(sent), sent)
	}
	sameFlows(t, sw.flows(), before)
	if _, ok := m2.Locate(hostA); !ok {
		t.Error("adopted host not located")
	}
}
