package pipeline

import (
	"net/netip"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// TestVoIPTableCallFlow installs a per-call flow the way package qos is
// meant to: in the voip table, above the pipeline's per-VLAN flow, marking
// DSCP EF, setting a queue and continuing to Program.VoIPNext.
func TestVoIPTableCallFlow(t *testing.T) {
	s := newSwitch(t, aclConfig, WithVoIPTable())
	s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	s.send(eth(11, "00:00:00:00:00:0b", "ff:ff:ff:ff:ff:ff"))
	voip, ok := s.prog.Tables.ID(TableVoIP)
	if !ok {
		t.Fatal("no voip table")
	}
	next, ok := s.prog.VoIPNext(100)
	if !ok || s.prog.Tables.Name(next) != TableEthSrc {
		t.Fatalf("VoIPNext(100) = %d %v, want eth_src", next, ok)
	}
	if n, _ := s.prog.VoIPNext(200); s.prog.Tables.Name(n) != TableVLANACL {
		t.Fatalf("VoIPNext(200) must be vlan_acl (voice has ACLs), got %s", s.prog.Tables.Name(n))
	}
	call := of13.Flow{
		Table: voip, Priority: 0x3000, Cookie: 0xca11,
		Match: of13.NewMatch(of13.VlanVID(100), of13.EthType(EthTypeIPv4), of13.IPProto(IPProtoUDP),
			of13.AddrField(of13.FieldIPv4Src, netip.MustParseAddr("10.0.0.1")),
			of13.PortField(of13.FieldUDPSrc, 40000)),
		Instr: of13.Instructions{Apply: []of13.Action{of13.SetDSCP(46), of13.SetQueue(1)},
			HasGoto: true, GotoTable: next},
	}
	if err := s.tbl.AddFlows(call); err != nil {
		t.Fatal(err)
	}
	r := s.tbl.Trace(eth(1, h1, "00:00:00:00:00:0b"))
	wantOuts(t, "call media", r, "11:u")
	if o := r.Outputs[0]; o.Packet.DSCP != 46 || !o.QueueSet || o.Queue != 1 {
		t.Fatalf("call media not marked: %v", o)
	}
	// Other traffic passes the voip table unchanged.
	back := eth(11, "00:00:00:00:00:0b", h1)
	back.IPSrc, back.IPDst = back.IPDst, back.IPSrc
	r = s.tbl.Trace(back)
	wantOuts(t, "other traffic", r, "1:u")
	if r.Outputs[0].Packet.DSCP != 0 {
		t.Fatal("non-call traffic marked")
	}
}

func TestGroupTableFlooding(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    group_table: true
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office]}
      4: {native_vlan: office, unicast_flood: false}
`)
	if len(s.prog.Groups) != 2 {
		t.Fatalf("want a flood group and a unicast flood group, got %v", s.prog.Groups)
	}
	r := s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	wantOuts(t, "broadcast via group", r, "ctl", "2:u", "3:100", "4:u")
	r = s.send(eth(1, h1, h2))
	wantOuts(t, "unknown unicast via group", r, "2:u", "3:100")
}

func TestCompileRejectsMismatchedOptions(t *testing.T) {
	dp := loadDP(t, twoVLANs)
	if _, err := Compile(dp, NewLearned(), WithVoIPTable()); err == nil {
		t.Fatal("Learned without the voip table, Compile with it: want an error")
	}
	if _, err := Compile(dp, NewLearned(WithVoIPTable()), WithVoIPTable()); err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(dp, NewLearned(WithVoIPTable())); err != nil {
		t.Fatalf("options may come from the Learned alone: %v", err)
	}
}

func TestOptionsFor(t *testing.T) {
	cfg, err := config.LoadFileBytes("voip.yaml", []byte(`
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
voip:
  qos:
    apply_to: {dps: [sw1]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := OptionsFor(cfg, cfg.DP("sw1")); len(got) != 1 {
		t.Fatalf("sw1 is in apply_to: want the voip table, got %d options", len(got))
	}
	if got := OptionsFor(cfg, cfg.DP("sw2")); len(got) != 0 {
		t.Fatalf("sw2 is not in apply_to: want no options, got %d", len(got))
	}
	p, err := Compile(cfg.DP("sw1"), nil, OptionsFor(cfg, cfg.DP("sw1"))...)
	if err != nil || !p.Tables.Has(TableVoIP) {
		t.Fatalf("sw1 compiled without the voip table: %v", err)
	}
}

// TestVoIPTableCopiesARPAndND: with voice on, ARP and neighbour discovery
// from known hosts still reach the controller (so it keeps every host's IP
// address for locating call endpoints), and they still get forwarded.
func TestVoIPTableCopiesARPAndND(t *testing.T) {
	s := newSwitch(t, aclConfig, WithVoIPTable())
	s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	s.send(eth(11, "00:00:00:00:00:0b", "ff:ff:ff:ff:ff:ff"))
	arp := eth(1, h1, "ff:ff:ff:ff:ff:ff")
	arp.EthType, arp.IPProto = EthTypeARP, 0
	arp.ARPOp, arp.ARPSPA, arp.ARPTPA = 1, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.11")
	r := s.tbl.Trace(arp)
	if !hasOut(r.Outputs, of13.PortController) {
		t.Fatalf("ARP from a known host not copied to the controller:\n%v", r)
	}
	if !hasOut(r.Outputs, 11) {
		t.Fatalf("ARP copied but not forwarded:\n%v", r)
	}
	// Without voice, Faucet's pipeline: a known host's ARP is not punted.
	plain := newSwitch(t, aclConfig)
	plain.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	if r := plain.tbl.Trace(arp); hasOut(r.Outputs, of13.PortController) {
		t.Fatalf("without voice a known host's ARP must not reach the controller:\n%v", r)
	}
}

func hasOut(outs []oftable.Out, port uint32) bool {
	for _, o := range outs {
		if o.Port == port {
			return true
		}
	}
	return false
}
