package dp

import (
	"bytes"
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/lacp"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// Ports 1 and 2 are LAG 7; port 3 is active LAG 9 alone; 4 an access port.
const lagDP = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, lacp: 7}
      2: {native_vlan: office, lacp: 7}
      3: {native_vlan: office, lacp: 9, lacp_active: true}
      4: {native_vlan: office}
`

// portedSwitch is a fake switch that reports a port table.
type portedSwitch struct {
	*fakeSwitch
	ports []of13.Port
}

func (p portedSwitch) Ports() []of13.Port { return p.ports }

// Send records packet-outs, which the table model does not take, and
// applies the rest.
func (p portedSwitch) Send(ctx context.Context, msgs []of13.Message) error {
	var rest []of13.Message
	for _, m := range msgs {
		if _, ok := m.(of13.PacketOut); ok {
			p.mu.Lock()
			p.sent = append(p.sent, m)
			p.mu.Unlock()
			continue
		}
		rest = append(rest, m)
	}
	return p.fakeSwitch.Send(ctx, rest)
}

var partnerSystem = [6]byte{0x02, 0, 0, 0, 0, 0xaa}

func partnerLACPDU(port uint16, st lacp.State) []byte {
	pdu := lacp.PDU{Version: 1, Actor: lacp.Info{SystemPriority: 65535, System: partnerSystem, Key: 33, PortPriority: 255, Port: port, State: st}}
	return pdu.Frame(net.HardwareAddr(partnerSystem[:]))
}

// sentLACPDUs returns the LACPDUs sent as packet-outs, by output port.
func sentLACPDUs(t *testing.T, msgs []of13.Message) map[uint32][]lacp.PDU {
	t.Helper()
	out := map[uint32][]lacp.PDU{}
	for _, m := range msgs {
		po, ok := m.(of13.PacketOut)
		if !ok {
			continue
		}
		pdu, err := lacp.Parse(po.Data)
		if err != nil {
			t.Fatalf("packet-out is not an LACPDU: %v", err)
		}
		if len(po.Actions) != 1 || po.Actions[0].Type != of13.ActionOutput {
			t.Fatalf("LACPDU actions %v", po.Actions)
		}
		out[po.Actions[0].Port] = append(out[po.Actions[0].Port], pdu)
	}
	return out
}

func broadcastFrom(in uint32) oftable.Packet {
	return oftable.Packet{InPort: in, EthSrc: oftable.MAC("0e:00:00:00:00:4" + string(rune('0'+in))), EthDst: oftable.MAC("ff:ff:ff:ff:ff:ff"), EthType: 0x88b5}
}

// TestLACPRuntime drives a LAG through Faucet's states on the in-memory
// switch: members forward only once their partner is in sync, floods use
// one member, a member going down or silent hands over to the other.
func TestLACPRuntime(t *testing.T) {
	clock := newFakeClock()
	var mu sync.Mutex
	var events []LAGChange
	cfg := mustConfig(t, lagDP)
	m := startManager(t, cfg, Options{Clock: clock, LAGChanged: func(e LAGChange) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}})
	sw := portedSwitch{fakeSwitch: newFakeSwitch(1), ports: []of13.Port{{No: 1}, {No: 2}, {No: 3}, {No: 4}}}
	m.SwitchConnected(context.Background(), sw)
	dpMAC := cfg.DPs[0].FaucetDPMAC

	// The active port advertises at once; the passive ones wait.
	pdus := sentLACPDUs(t, sw.takeSent())
	if len(pdus) != 1 || len(pdus[3]) != 1 {
		t.Fatalf("LACPDUs at connect: %v", pdus)
	}
	if a := pdus[3][0].Actor; a.Key != 9 || a.State&lacp.StateActivity == 0 || !bytes.Equal(a.System[:], dpMAC) {
		t.Fatalf("active port's actor: %v", a)
	}
	if got := sw.dataPorts(broadcastFrom(4)); len(got) != 0 {
		t.Fatalf("flood before any LAG is up reaches %v", got)
	}

	// The partner speaks on port 1, not yet in sync: answered, not up.
	m.SwitchPacketIn(sw, packetInOn(1, partnerLACPDU(1, lacp.StateActivity|lacp.StateAggregation)))
	m.syncDP(t, 1)
	pdus = sentLACPDUs(t, sw.takeSent())
	if len(pdus[1]) != 1 {
		t.Fatalf("no answer on port 1: %v", pdus)
	}
	ans := pdus[1][0]
	if ans.Actor.Key != 7 || ans.Actor.Port != 1 || ans.Actor.State&lacp.StateSync == 0 ||
		ans.Partner.System != partnerSystem || ans.Partner.Key != 33 || ans.Partner.Port != 1 {
		t.Fatalf("answer: %+v", ans)
	}
	if got := sw.dataPorts(broadcastFrom(4)); len(got) != 0 {
		t.Fatalf("flood with the partner not in sync reaches %v", got)
	}

	// In sync on both members: floods use port 1 only.
	m.SwitchPacketIn(sw, packetInOn(1, partnerLACPDU(1, lacp.StateActivity|lacp.StateAggregation|lacp.StateSync)))
	m.SwitchPacketIn(sw, packetInOn(2, partnerLACPDU(2, lacp.StateActivity|lacp.StateAggregation|lacp.StateSync)))
	m.syncDP(t, 1)
	if got := sw.dataPorts(broadcastFrom(4)); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("flood with the LAG up reaches %v, want [1]", got)
	}
	if got := sw.dataPorts(broadcastFrom(2)); !slices.Equal(got, []uint32{4}) {
		t.Fatalf("flood from member 2 reaches %v, want [4]", got)
	}

	// Port 1 goes down: port 2 takes the floods.
	m.SwitchPortStatus(context.Background(), sw, of13.PortStatus{Reason: of13.PortModified, Port: of13.Port{No: 1, State: of13.PortStateLinkDown}})
	m.syncDP(t, 1)
	if got := sw.dataPorts(broadcastFrom(4)); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("flood after port 1 went down reaches %v, want [2]", got)
	}

	// Port 2 falls silent for lacp_timeout (30 s): the LAG is down.
	clock.Advance(31 * time.Second)
	m.syncDP(t, 1)
	if got := sw.dataPorts(broadcastFrom(4)); len(got) != 0 {
		t.Fatalf("flood after the LAG expired reaches %v", got)
	}
	if got := sw.dataPorts(broadcastFrom(2)); len(got) != 0 {
		t.Fatalf("frames from the expired member reach %v", got)
	}

	var states map[uint32]LACPPort
	m.EachView(func(v View) {
		states = map[uint32]LACPPort{}
		for _, p := range v.LACP {
			states[p.Port] = p
		}
	})
	if s := states[1]; s.State != lacp.ActorNone || s.Role != lacp.RoleSelected || s.PortID != 1 {
		t.Errorf("port 1: %+v", s)
	}
	if s := states[2]; s.State != lacp.ActorInit || s.Changes < 3 {
		t.Errorf("port 2: %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	var up int
	for _, e := range events {
		if e.State == lacp.ActorUp {
			up++
		}
	}
	if up != 2 {
		t.Errorf("LAG_CHANGE events to UP: %d, want 2 (%v)", up, events)
	}
}

// TestLACPBadPDUIgnored: a malformed LACPDU changes nothing and is counted.
func TestLACPBadPDUIgnored(t *testing.T) {
	m := startManager(t, mustConfig(t, lagDP), Options{Clock: newFakeClock()})
	sw := portedSwitch{fakeSwitch: newFakeSwitch(1), ports: []of13.Port{{No: 1}, {No: 2}, {No: 3}, {No: 4}}}
	m.SwitchConnected(context.Background(), sw)
	sw.takeSent()
	bad := partnerLACPDU(1, lacp.StateSync)
	bad[16] = 9 // actor TLV type
	m.SwitchPacketIn(sw, packetInOn(1, bad))
	m.syncDP(t, 1)
	if sent := sw.takeSent(); len(sent) != 0 {
		t.Fatalf("malformed LACPDU answered: %v", sent)
	}
	var parseErrors uint64
	m.EachDP(func(s Status) { parseErrors = s.ParseErrors })
	if parseErrors != 1 {
		t.Errorf("parse errors %d, want 1", parseErrors)
	}
}

// TestLACPPassthrough: a port with lacp_passthrough stays silent while a
// peer port's partner is not up (lacp_req_reply).
func TestLACPPassthrough(t *testing.T) {
	const cfg = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, lacp: 7, lacp_passthrough: [2]}
      2: {native_vlan: office, lacp: 8}
`
	m := startManager(t, mustConfig(t, cfg), Options{Clock: newFakeClock()})
	sw := portedSwitch{fakeSwitch: newFakeSwitch(1), ports: []of13.Port{{No: 1}, {No: 2}}}
	m.SwitchConnected(context.Background(), sw)
	sw.takeSent()
	synced := lacp.StateActivity | lacp.StateAggregation | lacp.StateSync
	m.SwitchPacketIn(sw, packetInOn(1, partnerLACPDU(1, synced)))
	m.syncDP(t, 1)
	if pdus := sentLACPDUs(t, sw.takeSent()); len(pdus[1]) != 0 {
		t.Fatalf("answered on port 1 with its passthrough peer down: %v", pdus)
	}
	m.SwitchPacketIn(sw, packetInOn(2, partnerLACPDU(2, synced)))
	m.SwitchPacketIn(sw, packetInOn(1, partnerLACPDU(1, synced|lacp.StateCollecting)))
	m.syncDP(t, 1)
	if pdus := sentLACPDUs(t, sw.takeSent()); len(pdus[1]) != 1 || len(pdus[2]) != 1 {
		t.Fatalf("with the peer up, want one answer on each port: %v", pdus)
	}
}

// TestLACPStateKeptAcrossReload: a warm reload that leaves a LAG's
// settings alone keeps it up; one that changes a member's LACP settings
// restarts that member.
func TestLACPStateKeptAcrossReload(t *testing.T) {
	m := startManager(t, mustConfig(t, lagDP), Options{Clock: newFakeClock()})
	sw := portedSwitch{fakeSwitch: newFakeSwitch(1), ports: []of13.Port{{No: 1}, {No: 2}, {No: 3}, {No: 4}, {No: 5}}}
	m.SwitchConnected(context.Background(), sw)
	synced := lacp.StateActivity | lacp.StateAggregation | lacp.StateSync
	m.SwitchPacketIn(sw, packetInOn(1, partnerLACPDU(1, synced)))
	m.SwitchPacketIn(sw, packetInOn(2, partnerLACPDU(2, synced)))
	m.syncDP(t, 1)
	if got := sw.dataPorts(broadcastFrom(4)); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("flood reaches %v, want [1]", got)
	}
	// A new port and a voip section (new table layout, new learned state):
	// the LAG stays up.
	withMore := lagDP + "      5: {native_vlan: office}\nvoip: {}\n"
	if err := m.SetConfig(context.Background(), mustConfig(t, withMore)); err != nil {
		t.Fatal(err)
	}
	m.syncDP(t, 1)
	if got := sw.dataPorts(broadcastFrom(4)); !slices.Equal(got, []uint32{1, 5}) {
		t.Fatalf("after a reload, flood reaches %v, want [1 5]", got)
	}
	// Member 1's port priority changes: it restarts, member 2 floods.
	changed := strings.Replace(withMore, "1: {native_vlan: office, lacp: 7}", "1: {native_vlan: office, lacp: 7, lacp_port_priority: 9}", 1)
	if err := m.SetConfig(context.Background(), mustConfig(t, changed)); err != nil {
		t.Fatal(err)
	}
	m.syncDP(t, 1)
	if got := sw.dataPorts(broadcastFrom(4)); !slices.Equal(got, []uint32{2, 5}) {
		t.Fatalf("after member 1 changed, flood reaches %v, want [2 5]", got)
	}
}
