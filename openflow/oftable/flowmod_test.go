package oftable

import (
	"reflect"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

func keys(tbl *Table) []string {
	var ks []string
	for _, f := range tbl.Flows() {
		ks = append(ks, f.String())
	}
	return ks
}

func TestAddReplacesIdenticalKeepingCounters(t *testing.T) {
	tbl := New(Config{})
	f := flow(0, 10, of13.NewMatch(of13.InPort(1)), apply(of13.Output(2)))
	f.Cookie = 1
	mustAdd(t, tbl, f)
	tbl.Inject(udpPkt(1))
	g := f
	g.Cookie = 2
	g.Instr = apply(of13.Output(3))
	mustAdd(t, tbl, g)
	if tbl.Len() != 1 {
		t.Fatalf("identical match+priority must replace, have %d flows", tbl.Len())
	}
	got, _ := tbl.Flow(f.Key())
	if !got.Equal(&g) {
		t.Fatalf("flow not replaced: %s", got.String())
	}
	if pk, _, _ := tbl.Stats(f.Key()); pk != 1 {
		t.Fatalf("counters not carried over: %d", pk)
	}
	g.Flags = of13.FlagResetCounts
	mustAdd(t, tbl, g)
	if pk, _, _ := tbl.Stats(f.Key()); pk != 0 {
		t.Fatalf("RESET_COUNTS did not reset: %d", pk)
	}
	// A different priority is a different flow.
	h := f
	h.Priority = 11
	mustAdd(t, tbl, h)
	if tbl.Len() != 2 {
		t.Fatalf("have %d flows", tbl.Len())
	}
}

func TestCheckOverlap(t *testing.T) {
	tbl := New(Config{})
	mustAdd(t, tbl, flow(0, 10, of13.NewMatch(of13.InPort(1)), apply(of13.Output(2))))
	add := func(f of13.Flow) error {
		fm := of13.AddFlow(f)
		fm.Flags = of13.FlagCheckOverlap
		return tbl.ApplyFlowMod(fm)
	}
	wantErr(t, add(flow(0, 10, of13.NewMatch(of13.EthType(0x0800)), nil2())), ErrOverlap)
	wantErr(t, add(flow(0, 10, of13.NewMatch(of13.InPort(1)), nil2())), ErrOverlap) // identical overlaps too
	for _, ok := range []of13.Flow{
		flow(0, 11, of13.NewMatch(of13.EthType(0x0800)), nil2()),                 // other priority
		flow(0, 10, of13.NewMatch(of13.InPort(2), of13.EthType(0x0800)), nil2()), // disjoint
		flow(1, 10, of13.NewMatch(of13.InPort(1)), nil2()),                       // other table
	} {
		if err := add(ok); err != nil {
			t.Fatalf("%s: %v", ok.String(), err)
		}
	}
	if tbl.Len() != 4 {
		t.Fatalf("failed adds must not change the table: %d flows", tbl.Len())
	}
}

func nil2() of13.Instructions { return of13.Instructions{} }

// modTable holds flows of growing specificity, with cookies 1..4.
func modTable(t *testing.T) *Table {
	tbl := New(Config{})
	fs := []of13.Flow{
		flow(0, 1, nil, nil2()),
		flow(0, 10, of13.NewMatch(of13.InPort(1)), nil2()),
		flow(0, 20, of13.NewMatch(of13.InPort(1), of13.VlanVID(100)), nil2()),
		flow(0, 30, of13.NewMatch(of13.InPort(2), of13.VlanVID(100)), nil2()),
	}
	for i := range fs {
		fs[i].Cookie = uint64(i + 1)
		fs[i].IdleTimeout = 5
	}
	mustAdd(t, tbl, fs...)
	return tbl
}

// outputsOf lists, by cookie, the flows now outputting to port.
func outputsOf(tbl *Table, port uint32) []uint64 {
	var cs []uint64
	for _, f := range tbl.Flows() {
		if outputsTo(&f.Instr, port) {
			cs = append(cs, f.Cookie)
		}
	}
	return cs
}

func TestModifySelection(t *testing.T) {
	newInstr := apply(of13.Output(9))
	for _, tc := range []struct {
		name string
		fm   of13.FlowMod
		want []uint64 // cookies of the flows modified (sorted as Flows sorts: priority descending)
	}{
		{"non-strict in_port=1 selects it and the more specific flow",
			of13.FlowMod{Command: of13.FlowModify, Flow: flow(0, 0, of13.NewMatch(of13.InPort(1)), newInstr)}, []uint64{3, 2}},
		{"non-strict empty match selects all, priority ignored",
			of13.FlowMod{Command: of13.FlowModify, Flow: flow(0, 999, nil, newInstr)}, []uint64{4, 3, 2, 1}},
		{"non-strict vlan 100 selects flows with it",
			of13.FlowMod{Command: of13.FlowModify, Flow: flow(0, 0, of13.NewMatch(of13.VlanVID(100)), newInstr)}, []uint64{4, 3}},
		{"non-strict masked vlan selects the exact ones within the mask",
			of13.FlowMod{Command: of13.FlowModify, Flow: flow(0, 0, of13.NewMatch(of13.VlanAny()), newInstr)}, []uint64{4, 3}},
		{"non-strict more specific than any flow selects none",
			of13.FlowMod{Command: of13.FlowModify, Flow: flow(0, 0, of13.NewMatch(of13.InPort(1), of13.VlanVID(100), of13.EthType(0x800)), newInstr)}, nil},
		{"strict needs priority and match",
			of13.FlowMod{Command: of13.FlowModifyStrict, Flow: flow(0, 10, of13.NewMatch(of13.InPort(1)), newInstr)}, []uint64{2}},
		{"strict with wrong priority selects none",
			of13.FlowMod{Command: of13.FlowModifyStrict, Flow: flow(0, 11, of13.NewMatch(of13.InPort(1)), newInstr)}, nil},
		{"cookie mask narrows",
			of13.FlowMod{Command: of13.FlowModify, Flow: of13.Flow{Cookie: 3, Instr: newInstr}, CookieMask: 0xff}, []uint64{3}},
		{"cookie mask bits",
			of13.FlowMod{Command: of13.FlowModify, Flow: of13.Flow{Cookie: 2, Instr: newInstr}, CookieMask: 0x2}, []uint64{3, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := modTable(t)
			if err := tbl.ApplyFlowMod(tc.fm); err != nil {
				t.Fatal(err)
			}
			if got := outputsOf(tbl, 9); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("modified %v, want %v\n%s", got, tc.want, tbl)
			}
			if tbl.Len() != 4 {
				t.Fatalf("modify must not add or remove: %d flows", tbl.Len())
			}
			for _, f := range tbl.Flows() {
				if f.Cookie == 0 || f.IdleTimeout != 5 {
					t.Fatalf("modify must keep cookie and timeouts: %s", f.String())
				}
			}
		})
	}
}

func TestModifyOfNothingAddsNothing(t *testing.T) {
	tbl := New(Config{})
	fm := of13.FlowMod{Command: of13.FlowModifyStrict, Flow: flow(0, 10, of13.NewMatch(of13.InPort(1)), apply(of13.Output(2)))}
	if err := tbl.ApplyFlowMod(fm); err != nil {
		t.Fatal(err)
	}
	fm.Command = of13.FlowModify
	if err := tbl.ApplyFlowMod(fm); err != nil {
		t.Fatal(err)
	}
	if tbl.Len() != 0 {
		t.Fatal("OpenFlow 1.3 modify must not add a flow")
	}
}

func TestModifyResetCounts(t *testing.T) {
	tbl := modTable(t)
	tbl.Inject(udpPkt(1))
	kf := flow(0, 10, of13.NewMatch(of13.InPort(1)), nil2())
	k := kf.Key()
	fm := of13.FlowMod{Command: of13.FlowModifyStrict, Flow: flow(0, 10, of13.NewMatch(of13.InPort(1)), apply(of13.Output(3)))}
	mustApply(t, tbl, fm)
	if pk, _, _ := tbl.Stats(k); pk != 1 {
		t.Fatalf("modify must keep counters: %d", pk)
	}
	fm.Flags = of13.FlagResetCounts
	mustApply(t, tbl, fm)
	if pk, _, _ := tbl.Stats(k); pk != 0 {
		t.Fatalf("RESET_COUNTS: %d", pk)
	}
}

func TestDeleteSelection(t *testing.T) {
	build := func(t *testing.T) *Table {
		tbl := New(Config{NumTables: 3})
		mustApply(t, tbl, of13.GroupMod{Command: of13.ModAdd, Group: of13.Group{ID: 5, Type: of13.GroupTypeAll}})
		fs := []of13.Flow{
			flow(0, 10, of13.NewMatch(of13.InPort(1)), apply(of13.Output(2))),
			flow(0, 20, of13.NewMatch(of13.InPort(1), of13.VlanVID(100)), of13.Instructions{Write: []of13.Action{of13.Output(3)}}),
			flow(1, 10, of13.NewMatch(of13.InPort(1)), apply(of13.GroupAction(5))),
			flow(2, 10, of13.NewMatch(of13.InPort(2)), apply(of13.Output(2))),
		}
		for i := range fs {
			fs[i].Cookie = uint64(i+1) | 0xab00
		}
		fs[3].Cookie = 0xcd04
		mustAdd(t, tbl, fs...)
		return tbl
	}
	cookiesLeft := func(tbl *Table) []uint64 {
		var cs []uint64
		for _, f := range tbl.Flows() {
			cs = append(cs, f.Cookie&0xff)
		}
		return cs
	}
	for _, tc := range []struct {
		name string
		fm   of13.FlowMod
		left []uint64
	}{
		{"non-strict in_port=1 in table 0", of13.FlowMod{Command: of13.FlowDelete, Flow: flow(0, 0, of13.NewMatch(of13.InPort(1)), nil2())}, []uint64{3, 4}},
		{"non-strict in_port=1 in all tables", of13.FlowMod{Command: of13.FlowDelete, Flow: flow(of13.TableAll, 0, of13.NewMatch(of13.InPort(1)), nil2())}, []uint64{4}},
		{"strict priority 10 in table 0", of13.FlowMod{Command: of13.FlowDeleteStrict, Flow: flow(0, 10, of13.NewMatch(of13.InPort(1)), nil2())}, []uint64{2, 3, 4}},
		{"strict wrong priority", of13.FlowMod{Command: of13.FlowDeleteStrict, Flow: flow(0, 11, of13.NewMatch(of13.InPort(1)), nil2())}, []uint64{2, 1, 3, 4}},
		{"out_port 2 all tables", of13.FlowMod{Command: of13.FlowDelete, Flow: flow(of13.TableAll, 0, nil, nil2()), OutPort: 2}, []uint64{2, 3}},
		{"out_port 3 counts write-actions", of13.FlowMod{Command: of13.FlowDelete, Flow: flow(of13.TableAll, 0, nil, nil2()), OutPort: 3}, []uint64{1, 3, 4}},
		{"out_group 5", of13.FlowMod{Command: of13.FlowDelete, Flow: flow(of13.TableAll, 0, nil, nil2()), OutGroup: 5}, []uint64{2, 1, 4}},
		{"out_port any", of13.FlowMod{Command: of13.FlowDelete, Flow: flow(0, 0, nil, nil2()), OutPort: of13.PortAny, OutGroup: of13.GroupAny}, []uint64{3, 4}},
		{"cookie mask", of13.DeleteByCookie(0xab00, 0xff00), []uint64{4}},
		{"cookie mask exact", of13.DeleteByCookie(0xab02, 0xffff), []uint64{1, 3, 4}},
		{"DeleteStrict helper", of13.DeleteStrict(flow(2, 10, of13.NewMatch(of13.InPort(2)), nil2())), []uint64{2, 1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := build(t)
			mustApply(t, tbl, tc.fm)
			if got := cookiesLeft(tbl); !reflect.DeepEqual(got, tc.left) {
				t.Fatalf("left %v, want %v\n%s", got, tc.left, tbl)
			}
		})
	}
}

func TestFlowModValidation(t *testing.T) {
	tbl := New(Config{NumTables: 4})
	for _, tc := range []struct {
		name string
		fm   of13.FlowMod
		want Error
	}{
		{"goto backwards", of13.AddFlow(flow(2, 1, nil, of13.Goto(1))), ErrGotoBadTable},
		{"goto self", of13.AddFlow(flow(2, 1, nil, of13.Goto(2))), ErrGotoBadTable},
		{"goto missing table", of13.AddFlow(flow(2, 1, nil, of13.Goto(4))), ErrGotoBadTable},
		{"table out of range", of13.AddFlow(flow(4, 1, nil, nil2())), ErrBadTableIDFlow},
		{"add to table all", of13.AddFlow(flow(of13.TableAll, 1, nil, nil2())), ErrBadTableIDFlow},
		{"missing meter", of13.AddFlow(flow(0, 1, nil, of13.Instructions{Meter: 3})), ErrInvalidMeter},
		{"missing group", of13.AddFlow(flow(0, 1, nil, apply(of13.GroupAction(3)))), ErrBadOutGroup},
		{"missing group in write", of13.AddFlow(flow(0, 1, nil, of13.Instructions{Write: []of13.Action{of13.GroupAction(3)}})), ErrBadOutGroup},
		{"output port 0", of13.AddFlow(flow(0, 1, nil, apply(of13.Output(0)))), ErrBadOutPort},
		{"output table", of13.AddFlow(flow(0, 1, nil, apply(of13.Output(of13.PortTable)))), ErrBadOutPort},
		{"dscp without eth_type", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.IPDSCP(46)), nil2())), ErrBadPrereq},
		{"udp_dst without ip_proto", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.EthType(0x800), of13.PortField(of13.FieldUDPDst, 5060)), nil2())), ErrBadPrereq},
		{"udp_dst with tcp", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.EthType(0x800), of13.IPProto(6), of13.PortField(of13.FieldUDPDst, 5060)), nil2())), ErrBadPrereq},
		{"ipv4_dst on ipv6", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.EthType(0x86dd), of13.UintField(of13.FieldIPv4Dst, 1)), nil2())), ErrBadPrereq},
		{"vlan_pcp untagged", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.VlanNone(), of13.UintField(of13.FieldVlanPCP, 5)), nil2())), ErrBadPrereq},
		{"vid without present bit", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.UintField(of13.FieldVlanVID, 100)), nil2())), ErrBadMatchValue},
		{"duplicate field", of13.AddFlow(flow(0, 1, of13.Match{of13.InPort(1), of13.InPort(2)}, nil2())), ErrDupField},
		{"set dscp without ip match", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.InPort(1)), apply(of13.SetDSCP(46)))), ErrMatchInconsistent},
		{"set vid on untagged match", of13.AddFlow(flow(0, 1, of13.NewMatch(of13.VlanNone()), apply(of13.SetVlanVID(5)))), ErrMatchInconsistent},
		{"push bad ethertype", of13.AddFlow(flow(0, 1, nil, apply(of13.PushVLAN(0x0800)))), ErrBadArgument},
		{"bad command", of13.FlowMod{Command: 9}, ErrBadFlowCommand},
		{"modify goto backwards", of13.FlowMod{Command: of13.FlowModify, Flow: flow(2, 1, nil, of13.Goto(0))}, ErrGotoBadTable},
		{"delete in missing table", of13.FlowMod{Command: of13.FlowDelete, Flow: flow(9, 0, nil, nil2())}, ErrBadTableIDFlow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tbl.ApplyFlowMod(tc.fm), tc.want)
		})
	}
	if tbl.Len() != 0 {
		t.Fatalf("rejected flow-mods changed the table:\n%s", tbl)
	}
	// The valid counterparts are accepted.
	mustAdd(t, tbl,
		flow(0, 1, of13.NewMatch(of13.VlanNone()), apply(of13.PushVLAN(0x8100), of13.SetVlanVID(5))),
		flow(0, 1, of13.NewMatch(of13.EthType(0x86dd), of13.IPDSCP(46)), apply(of13.SetDSCP(0))),
		flow(0, 1, of13.NewMatch(of13.VlanAny(), of13.UintField(of13.FieldVlanPCP, 5)), of13.Goto(3)),
		// A non-canonical match is stored canonically.
		flow(0, 2, of13.Match{of13.EthType(0x800), of13.InPort(1)}, nil2()),
	)
	canon := flow(0, 2, of13.NewMatch(of13.InPort(1), of13.EthType(0x800)), nil2())
	if _, ok := tbl.Flow(canon.Key()); !ok {
		t.Fatal("non-canonical match not stored canonically")
	}
}

func TestErrorNames(t *testing.T) {
	e := ErrOverlap.with("x")
	if got := e.Error(); got != "OFPET_FLOW_MOD_FAILED/OFPFMFC_OVERLAP: x" {
		t.Fatal(got)
	}
	if got := ErrBadOutGroup.CodeName(); got != "OFPBAC_BAD_OUT_GROUP" {
		t.Fatal(got)
	}
	if got := ErrUnknownMeter.Error(); got != "OFPET_METER_MOD_FAILED/OFPMMFC_UNKNOWN_METER" {
		t.Fatal(got)
	}
}

func TestFlowsSortedAndString(t *testing.T) {
	tbl := New(Config{})
	mustAdd(t, tbl,
		flow(1, 5, nil, nil2()),
		flow(0, 5, of13.NewMatch(of13.InPort(2)), nil2()),
		flow(0, 9, nil, apply(of13.Output(1))),
		flow(0, 5, of13.NewMatch(of13.InPort(1)), nil2()),
	)
	want := "table=0,priority=9,actions=output:1\n" +
		"table=0,priority=5,in_port=1,actions=drop\n" +
		"table=0,priority=5,in_port=2,actions=drop\n" +
		"table=1,priority=5,actions=drop\n"
	if got := tbl.String(); got != want {
		t.Fatalf("String()\n%s\nwant\n%s", got, want)
	}
	if got := keys(tbl); len(got) != 4 || got[0] != "table=0,priority=9,actions=output:1" {
		t.Fatalf("Flows order %v", got)
	}
}
