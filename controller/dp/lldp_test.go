package dp

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/lldp"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

const lldpConfig = `
vlans:
  office: {vid: 100}
  voice: {vid: 200}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    lldp_beacon: {send_interval: 5, max_per_interval: 2}
    interfaces:
      1: {native_vlan: office, lldp_beacon: {enable: true}}
      2: {native_vlan: office, lldp_beacon: {enable: true}}
      3: {native_vlan: office, lldp_beacon: {enable: true}}
      4: {native_vlan: office, lldp_beacon: {enable: true}, lldp_peer_mac: "0e:00:00:00:00:99", receive_lldp: true}
      5: {native_vlan: office, tagged_vlans: [voice]}
      6: {native_vlan: office}
voip:
  lldp_med:
    voice: {}
`

// beaconsSent returns, per port, the LLDP frames sent as packet-outs.
func beaconsSent(t *testing.T, sw *fakeSwitch) map[uint32]*lldp.Frame {
	t.Helper()
	out := map[uint32]*lldp.Frame{}
	for _, m := range sw.takeSent() {
		po, ok := m.(of13.PacketOut)
		if !ok {
			continue
		}
		f, err := lldp.Parse(po.Data)
		if err != nil {
			continue
		}
		if len(po.Actions) != 1 {
			t.Fatalf("beacon with actions %v", po.Actions)
		}
		out[po.Actions[0].Port] = f
	}
	return out
}

func ports(m map[uint32]*lldp.Frame) []uint32 {
	var out []uint32
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Beacons go out as Faucet paces them: each send_interval, at most
// max_per_interval of the beacon ports that have not sent for an interval,
// so every beacon port is served in turn; the port with a voice policy
// sends every round; a port with neither sends nothing; a port that went
// down is skipped until it comes back.
func TestLLDPBeaconRounds(t *testing.T) {
	clk := newFakeClock()
	m := startManager(t, mustConfig(t, lldpConfig), Options{Clock: clk})
	sw := newFakeSwitch(1)
	ctx := context.Background()
	m.SwitchConnected(ctx, sw)
	sw.takeSent()

	count := map[uint32]int{}
	for round := range 6 {
		clk.Advance(5 * time.Second)
		m.syncDP(t, 1)
		got := beaconsSent(t, sw)
		if f := got[5]; f == nil || len(f.Orgs(lldp.OUITIA)) != 2 {
			t.Fatalf("round %d: the voice port sent no LLDP-MED frame: %v", round, ports(got))
		}
		if len(got) != 3 {
			t.Fatalf("round %d: beacons on %v, want the voice port and 2 others", round, ports(got))
		}
		for p := range got {
			count[p]++
		}
	}
	// 4 beacon ports, 2 per round, each once an interval at most: every
	// port 3 times in 6 rounds.
	for p := uint32(1); p <= 4; p++ {
		if count[p] != 3 {
			t.Errorf("port %d sent %d beacons in 6 rounds, want 3 (%v)", p, count[p], count)
		}
	}
	if count[6] != 0 {
		t.Errorf("port 6 (no beacon, no voice VLAN) sent %d", count[6])
	}

	m.SwitchPortStatus(ctx, sw, of13.PortStatus{Reason: of13.PortModified, Port: of13.Port{No: 5, State: of13.PortStateLinkDown}})
	sw.takeSent()
	clk.Advance(5 * time.Second)
	m.syncDP(t, 1)
	if got := beaconsSent(t, sw); got[5] != nil {
		t.Errorf("beacon sent to port 5 while it is down")
	}
	m.SwitchPortStatus(ctx, sw, of13.PortStatus{Reason: of13.PortModified, Port: of13.Port{No: 5}})
	clk.Advance(5 * time.Second)
	m.syncDP(t, 1)
	if got := beaconsSent(t, sw); got[5] == nil {
		t.Errorf("no beacon to port 5 after it came back up")
	}
}

// An LLDP frame from a neighbour is recorded for its port, with a Faucet
// peer's dp_id read from its DP ID TLV, and forgotten when its TTL runs out.
func TestLLDPNeighbor(t *testing.T) {
	clk := newFakeClock()
	cfg := mustConfig(t, lldpConfig)
	m := startManager(t, cfg, Options{Clock: clk})
	sw := newFakeSwitch(1)
	ctx := context.Background()
	m.SwitchConnected(ctx, sw)

	// A peer Faucet beacon: another DP's port 7 (dp_id 9, same OUI).
	peer := mustConfig(t, `
dps:
  peer:
    dp_id: 9
    faucet_dp_mac: "0e:00:00:00:00:99"
    lldp_beacon: {send_interval: 5}
    interfaces:
      7: {native_vlan: 100, lldp_beacon: {enable: true}}
`).DPs[0]
	m.SwitchPacketIn(sw, packetInOn(4, lldp.Beacon(peer, peer.Port(7))))
	m.syncDP(t, 1)
	ns, err := m.LLDPNeighbors(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].Port != 4 || ns[0].ChassisID != "0e:00:00:00:00:99" || ns[0].PortID != "7" ||
		ns[0].SystemName != "peer" || ns[0].FaucetDPID != 9 || ns[0].TTL != 15*time.Second {
		t.Fatalf("neighbours %+v", ns)
	}
	clk.Advance(16 * time.Second)
	m.syncDP(t, 1)
	if ns, _ := m.LLDPNeighbors(ctx, 1); len(ns) != 0 {
		t.Errorf("neighbour kept after its TTL: %+v", ns)
	}
	// Garbage is dropped without a trace.
	m.SwitchPacketIn(sw, packetInOn(4, frame("0e:00:00:00:00:99", "01:80:c2:00:00:0e", 0, 0x88cc, []byte{2, 7, 4})))
	m.syncDP(t, 1)
	if ns, _ := m.LLDPNeighbors(ctx, 1); len(ns) != 0 {
		t.Errorf("malformed frame recorded: %+v", ns)
	}
}
