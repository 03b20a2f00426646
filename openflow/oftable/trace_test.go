package oftable

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

const present = of13.OXMVlanPresent

// A Faucet-like pipeline: table 0 tags native-VLAN traffic from port 1 and
// admits tagged VLAN 100 from port 2; table 1 floods VLAN 100 to port 1
// untagged and port 2 tagged.
func vlanPipeline(t *testing.T) *Table {
	tbl := New(Config{NumTables: 4})
	mustAdd(t, tbl,
		flow(0, 9000, of13.NewMatch(of13.InPort(1), of13.VlanNone()),
			applyGoto(1, of13.PushVLAN(0x8100), of13.SetVlanVID(100))),
		flow(0, 9000, of13.NewMatch(of13.InPort(2), of13.VlanVID(100)), of13.Goto(1)),
		flow(0, 0, nil, of13.Instructions{}),
		flow(1, 8192, of13.NewMatch(of13.VlanVID(100)),
			apply(of13.Output(2), of13.PopVLAN(), of13.Output(1))),
	)
	return tbl
}

func TestVLANPushSetPopThroughTables(t *testing.T) {
	tbl := vlanPipeline(t)
	r := tbl.Trace(udpPkt(1))
	if got, want := outs(r.Outputs), [][2]uint32{{2, 100 | present}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("untagged from port 1: outputs %v, want %v (output to in_port 1 suppressed)\n%s", got, want, r)
	}
	if !reflect.DeepEqual(r.Tables, []uint8{0, 1}) || len(r.Flows) != 2 {
		t.Fatalf("tables %v flows %d", r.Tables, len(r.Flows))
	}
	if len(r.Notes) == 0 {
		t.Fatal("suppressed output to the ingress port should be noted")
	}
	r = tbl.Trace(udpPkt(2, tag(100)))
	if got, want := outs(r.Outputs), [][2]uint32{{1, 0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tagged from port 2: outputs %v, want %v\n%s", got, want, r)
	}
	if !tbl.IsOutput(udpPkt(2, tag(100)), 1, 0) || tbl.IsOutput(udpPkt(2, tag(100)), 1, 100|present) {
		t.Fatal("IsOutput disagrees with Trace")
	}
	// Wrong VLAN on port 2 and tagged on port 1 hit the drop rule.
	for _, p := range []Packet{udpPkt(2, tag(200)), udpPkt(1, tag(100)), udpPkt(2)} {
		if r := tbl.Trace(p); !r.Dropped || len(r.Flows) != 1 || r.Flows[0].Priority != 0 {
			t.Fatalf("%s should be dropped by the default rule:\n%s", p.String(), r)
		}
	}
	// The input packet is not modified by tracing.
	p := udpPkt(1)
	tbl.Trace(p)
	if len(p.VLANs) != 0 {
		t.Fatal("Trace modified its input")
	}
}

func TestVlanVIDMatchSemantics(t *testing.T) {
	tbl := New(Config{})
	mustAdd(t, tbl,
		flow(0, 30, of13.NewMatch(of13.VlanVID(100)), apply(of13.Output(10))),
		flow(0, 20, of13.NewMatch(of13.VlanAny()), apply(of13.Output(20))),
		flow(0, 20, of13.NewMatch(of13.VlanNone()), apply(of13.Output(30))),
		flow(0, 40, of13.NewMatch(of13.MaskedUintField(of13.FieldVlanVID, present|0x200, present|0xf00)),
			apply(of13.Output(40))),
	)
	for _, tc := range []struct {
		pkt  Packet
		port uint32
	}{
		{udpPkt(1, tag(100)), 10},
		{udpPkt(1, tag(101)), 20},
		{udpPkt(1), 30},
		{udpPkt(1, tag(0x2ab)), 40},
		{udpPkt(1, tag(0)), 20}, // priority-tagged frames are tagged
		{udpPkt(1, tag(300), tag(100)), 20},
	} {
		if got := tbl.OutPorts(tc.pkt); !reflect.DeepEqual(got, []uint32{tc.port}) {
			t.Errorf("%s: ports %v, want %d", tc.pkt.String(), got, tc.port)
		}
	}
}

func TestPushVLANCopiesOuterTag(t *testing.T) {
	tbl := New(Config{})
	mustAdd(t, tbl, flow(0, 1, nil, apply(of13.PushVLAN(0x88a8), of13.Output(5))))
	o := tbl.Outputs(udpPkt(1, VLAN{VID: 7, PCP: 5}))
	if len(o) != 1 || len(o[0].Packet.VLANs) != 2 {
		t.Fatalf("outputs %v", o)
	}
	if got := o[0].Packet.VLANs[0]; got != (VLAN{TPID: 0x88a8, VID: 7, PCP: 5}) {
		t.Fatalf("pushed tag %+v should copy the outer tag's VID and PCP", got)
	}
}

func TestWriteActionsRunInActionSetOrder(t *testing.T) {
	tbl := New(Config{NumTables: 2})
	// Written in the "wrong" order: output, set vid, push. The action set
	// runs push, set-field, set-queue, output.
	mustAdd(t, tbl,
		flow(0, 1, of13.NewMatch(of13.EthType(0x0800)), of13.Instructions{
			Write: []of13.Action{of13.Output(3), of13.SetVlanVID(42), of13.PushVLAN(0x8100),
				of13.SetDSCP(46), of13.DecNwTTL()},
			HasGoto: true, GotoTable: 1,
		}),
		flow(1, 1, nil, of13.Instructions{Write: []of13.Action{of13.SetQueue(7), of13.Output(4)}}),
	)
	o := tbl.Outputs(udpPkt(1))
	if len(o) != 1 {
		t.Fatalf("want one output (the set holds one output), got %v", o)
	}
	got := o[0]
	if got.Port != 4 || got.VID() != 42|present || got.Packet.DSCP != 46 || got.Packet.TTL != 63 ||
		!got.QueueSet || got.Queue != 7 {
		t.Fatalf("output %s", got)
	}
	// The same actions applied in that order leave the packet untagged when
	// it is output, and setting the VID of an untagged packet does nothing.
	tbl2 := New(Config{})
	mustAdd(t, tbl2, flow(0, 1, nil, apply(of13.Output(3), of13.SetVlanVID(42), of13.PushVLAN(0x8100), of13.Output(4))))
	o = tbl2.Outputs(udpPkt(1))
	if got := outs(o); !reflect.DeepEqual(got, [][2]uint32{{3, 0}, {4, present}}) {
		t.Fatalf("apply-actions outputs %v", got)
	}
}

func TestClearActionsAndGroupBeatsOutput(t *testing.T) {
	tbl := New(Config{NumTables: 3})
	mustApply(t, tbl, of13.GroupMod{Command: of13.ModAdd, Group: of13.Group{ID: 1, Type: of13.GroupTypeIndirect,
		Buckets: []of13.Bucket{{Actions: []of13.Action{of13.Output(9)}}}}})
	mustAdd(t, tbl,
		flow(0, 1, nil, of13.Instructions{Write: []of13.Action{of13.Output(2)}, HasGoto: true, GotoTable: 1}),
		flow(1, 1, of13.NewMatch(of13.InPort(1)), of13.Instructions{ClearActions: true, Write: []of13.Action{of13.Output(3)}, HasGoto: true, GotoTable: 2}),
		flow(1, 0, nil, of13.Goto(2)),
		flow(2, 1, nil, of13.Instructions{Write: []of13.Action{of13.GroupAction(1)}}),
	)
	// Port 1: cleared, then output 3 and group 1: the group wins.
	if got := tbl.OutPorts(udpPkt(1)); !reflect.DeepEqual(got, []uint32{9}) {
		t.Fatalf("ports %v, want [9]", got)
	}
	r := tbl.Trace(udpPkt(5))
	if !reflect.DeepEqual(r.Groups, []uint32{1}) || len(r.Outputs) != 1 || r.Outputs[0].Port != 9 {
		t.Fatalf("trace:\n%s", r)
	}
}

func TestMetadataWriteAndMatchUnderMask(t *testing.T) {
	tbl := New(Config{NumTables: 3})
	mustAdd(t, tbl,
		flow(0, 1, of13.NewMatch(of13.InPort(1)), of13.Instructions{Metadata: 0x10, MetadataMask: 0xf0, HasGoto: true, GotoTable: 1}),
		flow(0, 0, nil, of13.Goto(1)),
		flow(1, 1, nil, of13.Instructions{Metadata: 0x3, MetadataMask: 0x0f, HasGoto: true, GotoTable: 2}),
		flow(2, 10, of13.NewMatch(of13.Metadata(0x13, 0xff)), apply(of13.Output(7))),
		flow(2, 5, of13.NewMatch(of13.Metadata(0x03, 0x0f)), apply(of13.Output(8))),
	)
	o := tbl.Outputs(udpPkt(1))
	if len(o) != 1 || o[0].Port != 7 || o[0].Packet.Metadata != 0x13 {
		t.Fatalf("port 1: %v", o)
	}
	if got := tbl.OutPorts(udpPkt(2)); !reflect.DeepEqual(got, []uint32{8}) {
		t.Fatalf("port 2: %v", got)
	}
}

func TestReservedPortsAndFlood(t *testing.T) {
	tbl := New(Config{Ports: []uint32{1, 2, 3, 4}, PortUp: func(p uint32) bool { return p != 4 }})
	mustAdd(t, tbl,
		flow(0, 3, of13.NewMatch(of13.InPort(1)), apply(of13.Output(of13.PortFlood))),
		flow(0, 3, of13.NewMatch(of13.InPort(2)), apply(of13.Output(of13.PortInPort), of13.Output(of13.PortController))),
	)
	if got := tbl.OutPorts(udpPkt(1)); !reflect.DeepEqual(got, []uint32{2, 3}) {
		t.Fatalf("flood from 1: %v, want [2 3] (not the ingress port, not the down port)", got)
	}
	if got := tbl.OutPorts(udpPkt(2)); !reflect.DeepEqual(got, []uint32{2, of13.PortController}) {
		t.Fatalf("in_port+controller: %v", got)
	}
	unexpanded := New(Config{})
	mustAdd(t, unexpanded, flow(0, 3, nil, apply(of13.Output(of13.PortAll))))
	if got := unexpanded.OutPorts(udpPkt(1)); !reflect.DeepEqual(got, []uint32{of13.PortAll}) {
		t.Fatalf("without a port list ALL stays reserved: %v", got)
	}
}

func TestDecTTLExpiryDrops(t *testing.T) {
	tbl := New(Config{})
	mustAdd(t, tbl, flow(0, 1, of13.NewMatch(of13.EthType(0x0800)), apply(of13.DecNwTTL(), of13.Output(2))))
	p := udpPkt(1)
	p.TTL = 1
	if r := tbl.Trace(p); !r.Dropped {
		t.Fatalf("TTL 1 should expire:\n%s", r)
	}
	p.TTL = 2
	if o := tbl.Outputs(p); len(o) != 1 || o[0].Packet.TTL != 1 {
		t.Fatalf("outputs %v", o)
	}
}

func TestSetFieldRewritesHeaders(t *testing.T) {
	tbl := New(Config{})
	newMAC := MAC("0e:00:00:00:00:99")
	mustAdd(t, tbl, flow(0, 1, of13.NewMatch(of13.EthType(0x0800), of13.IPProto(17)), apply(
		of13.SetField(of13.EthDst(newMAC)), of13.SetDSCP(46),
		of13.SetField(of13.AddrField(of13.FieldIPv4Dst, netip.MustParseAddr("192.0.2.9"))),
		of13.SetField(of13.PortField(of13.FieldUDPDst, 5060)), of13.Output(2))))
	in := udpPkt(1)
	o := tbl.Outputs(in)
	if len(o) != 1 {
		t.Fatalf("outputs %v", o)
	}
	p := o[0].Packet
	if p.EthDst.String() != newMAC.String() || p.DSCP != 46 || p.IPDst != netip.MustParseAddr("192.0.2.9") || p.L4Dst != 5060 {
		t.Fatalf("rewritten packet %s", p.String())
	}
	if in.EthDst.String() != macB.String() {
		t.Fatal("set-field modified the caller's MAC slice")
	}
}

func TestPrerequisitesGateMatching(t *testing.T) {
	tbl := New(Config{})
	mustAdd(t, tbl,
		flow(0, 10, of13.NewMatch(of13.EthType(0x0800), of13.IPProto(6), of13.PortField(of13.FieldTCPDst, 20000)), apply(of13.Output(6))),
		flow(0, 5, of13.NewMatch(of13.EthType(0x0800), of13.IPProto(17), of13.PortField(of13.FieldUDPDst, 20000)), apply(of13.Output(17))),
	)
	if got := tbl.OutPorts(udpPkt(1)); !reflect.DeepEqual(got, []uint32{17}) {
		t.Fatalf("a UDP packet must not match tcp_dst: %v", got)
	}
	arp := Packet{InPort: 1, EthType: EthTypeARP, L4Dst: 20000, IPProto: 17}
	if r := tbl.Trace(arp); !r.Dropped {
		t.Fatalf("ARP must not match UDP flows:\n%s", r)
	}
}

func TestEqualPriorityOverlapIsDeterministicAndFlagged(t *testing.T) {
	a := flow(0, 10, of13.NewMatch(of13.InPort(1)), apply(of13.Output(2)))
	b := flow(0, 10, of13.NewMatch(of13.EthType(0x0800)), apply(of13.Output(3)))
	t1, t2 := New(Config{}), New(Config{})
	mustAdd(t, t1, a, b)
	mustAdd(t, t2, b, a)
	r1, r2 := t1.Trace(udpPkt(1)), t2.Trace(udpPkt(1))
	if len(r1.Ambiguous) != 1 || len(r2.Ambiguous) != 1 {
		t.Fatalf("overlap not flagged: %v %v", r1.Ambiguous, r2.Ambiguous)
	}
	if !reflect.DeepEqual(outs(r1.Outputs), outs(r2.Outputs)) {
		t.Fatal("winner depends on insertion order")
	}
	if r := t1.Trace(udpPkt(2)); len(r.Ambiguous) != 0 {
		t.Fatal("only one flow matches port 2")
	}
}

func TestInjectCounts(t *testing.T) {
	tbl := vlanPipeline(t)
	p := udpPkt(1)
	p.Len = 100
	tbl.Inject(p)
	tbl.Inject(p)
	tbl.Trace(p) // does not count
	f := flow(1, 8192, of13.NewMatch(of13.VlanVID(100)), of13.Instructions{})
	pk, by, ok := tbl.Stats(f.Key())
	if !ok || pk != 2 || by != 200 {
		t.Fatalf("stats %d %d %v", pk, by, ok)
	}
}

func TestTracePacketOut(t *testing.T) {
	tbl := vlanPipeline(t)
	// A packet-out to OFPP_TABLE goes through the pipeline as if it had
	// arrived on its in_port; other outputs go straight out.
	po := of13.PacketOut{InPort: 1, Actions: []of13.Action{of13.Output(of13.PortTable), of13.Output(7)}}
	r := tbl.TracePacketOut(po, udpPkt(0))
	if got, want := outs(r.Outputs), [][2]uint32{{2, 100 | present}, {7, 0}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("outputs %v, want %v\n%s", got, want, r)
	}
	// Flows cannot output to OFPP_TABLE.
	wantErr(t, tbl.ApplyFlowMod(of13.AddFlow(flow(3, 1, nil, apply(of13.Output(of13.PortTable))))), ErrBadOutPort)
}
