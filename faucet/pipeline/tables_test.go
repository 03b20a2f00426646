package pipeline

import (
	"errors"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

func TestCompaction(t *testing.T) {
	for _, c := range []struct {
		name string
		yaml string
		want []string
	}{
		{"plain L2", twoVLANs, []string{TableVLAN, TableEthSrc, TableEthDst, TableFlood}},
		{"ACLs", aclConfig, []string{TablePortACL, TableVLAN, TableVLANACL, TableEthSrc, TableEthDst, TableFlood}},
		{"VIPs and hairpin", `
vlans:
  office: {vid: 100, faucet_vips: ["10.0.0.254/24", "fc00::1/64"]}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, hairpin: true}
`, []string{TableVLAN, TableEthSrc, TableIPv4FIB, TableIPv6FIB, TableVIP, TableEthDstHairpin, TableEthDst, TableFlood}},
	} {
		p, err := Compile(loadDP(t, c.yaml), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := p.Tables.Names(); !slices.Equal(got, c.want) {
			t.Fatalf("%s: tables %v, want %v", c.name, got, c.want)
		}
		for i, n := range c.want {
			if id, _ := p.Tables.ID(n); int(id) != i {
				t.Fatalf("%s: %s is table %d, want %d", c.name, n, id, i)
			}
		}
		// Every table has exactly one table-miss flow, owned by the DP.
		for i := range c.want {
			var miss int
			for _, f := range p.Flows[OwnerDP] {
				if int(f.Table) == i && f.Priority == 0 {
					miss++
				}
			}
			if miss != 1 {
				t.Fatalf("%s: table %d has %d table-miss flows", c.name, i, miss)
			}
		}
	}
	p, _ := Compile(loadDP(t, twoVLANs), nil, WithVoIPTable())
	if got := p.Tables.Names(); !slices.Equal(got, []string{TableVLAN, TableVoIP, TableEthSrc, TableEthDst, TableFlood}) {
		t.Fatalf("with voip: %v", got)
	}
}

func TestBuilderRejectsUndeclared(t *testing.T) {
	b := &builder{tables: newTables(nil, nil), cookie: 1}
	for _, c := range []struct {
		name string
		spec flowSpec
	}{
		{"undeclared field", flowSpec{Table: TableEthDst, Priority: 1,
			Match: of13.NewMatch(of13.VlanVID(1), of13.EthDst(mac(h1)), of13.InPort(1))}},
		{"mask on exact field", flowSpec{Table: TableVLAN, Priority: 1,
			Match: of13.NewMatch(of13.VlanAny())}},
		{"exact-match table missing a field", flowSpec{Table: TableEthDst, Priority: 1,
			Match: of13.NewMatch(of13.VlanVID(1))}},
		{"goto not declared", flowSpec{Table: TableVLAN, Priority: 1, Goto: TableFlood}},
		{"goto backwards", flowSpec{Table: TableEthDst, Priority: 1,
			Match: of13.NewMatch(of13.VlanVID(1), of13.EthDst(mac(h1))), Goto: TableVLAN}},
		{"table not in pipeline", flowSpec{Table: TablePortACL, Priority: 1}},
		{"goto compacted table", flowSpec{Table: TableVLAN, Priority: 1, Goto: TableVLANACL}},
		{"wrong miss goto", flowSpec{Table: TableEthDst, Goto: TableEthDst}},
		{"priority 0 with match", flowSpec{Table: TableFlood, Match: of13.NewMatch(of13.VlanVID(1))}},
		{"undeclared set-field", flowSpec{Table: TableFlood, Priority: 1,
			Apply: []of13.Action{of13.SetDSCP(46), of13.Output(1)}}},
	} {
		_, err := b.build(c.spec)
		var be *BuildError
		if !errors.As(err, &be) {
			t.Fatalf("%s: want *BuildError, got %v", c.name, err)
		}
	}
	f, err := b.build(flowSpec{Table: TableVLAN, Priority: 5, Match: of13.NewMatch(of13.InPort(1), of13.VlanNone()),
		Apply: []of13.Action{of13.PushVLAN(0x8100), of13.SetVlanVID(5)}, Goto: TableEthSrc})
	if err != nil || f.Table != 0 || !f.Instr.HasGoto || f.Instr.GotoTable != 1 || f.Cookie != 1 {
		t.Fatalf("valid flow: %v %+v", err, f)
	}
	// Actions after the last output of a flow that goes nowhere are dropped.
	f, _ = b.build(flowSpec{Table: TableFlood, Priority: 1, Apply: []of13.Action{of13.Output(1), of13.PopVLAN()}})
	if len(f.Instr.Apply) != 1 {
		t.Fatalf("trailing actions kept: %v", f.Instr.Apply)
	}
}

func TestCompileDeterministic(t *testing.T) {
	dp := loadDP(t, aclConfig)
	l := NewLearned()
	for i, p := range []uint32{1, 2, 5, 6, 11} {
		l.Learn(testTime, dp, p, 100, mac("00:00:00:00:10:0"+string(rune('1'+i))))
	}
	a, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, err := Compile(dp, l)
		if err != nil {
			t.Fatal(err)
		}
		if flowText(a.AllFlows()) != flowText(b.AllFlows()) || !slices.Equal(a.Owners(), b.Owners()) {
			t.Fatal("two compilations differ")
		}
		for _, o := range a.Owners() {
			if flowText(a.Flows[o]) != flowText(b.Flows[o]) {
				t.Fatalf("owner %s differs", o)
			}
		}
	}
}

func TestNoFlowKeyUnderTwoOwners(t *testing.T) {
	dp := loadDP(t, aclConfig)
	l := NewLearned()
	l.Learn(testTime, dp, 1, 100, mac(h1))
	l.Learn(testTime, dp, 3, 200, mac(h1))
	p, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[of13.FlowKey]string{}
	for _, o := range p.Owners() {
		for _, f := range p.Flows[o] {
			if prev, dup := seen[f.Key()]; dup {
				t.Fatalf("flow %s under %s and %s", f.Key(), prev, o)
			}
			seen[f.Key()] = o
		}
	}
}

// TestProgramRedundantSafe replays the compiled program shifted and
// duplicated (Faucet's _verify_redundant_safe_offset_ofmsgs): the switch
// must end in the same state, so a reconnect that resends everything is
// harmless.
func TestProgramRedundantSafe(t *testing.T) {
	dp := loadDP(t, aclConfig)
	l := NewLearned()
	l.Learn(testTime, dp, 1, 100, mac(h1))
	p, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []of13.Message
	for _, m := range p.Meters {
		msgs = append(msgs, of13.MeterMod{Command: of13.ModAdd, Meter: m})
	}
	for _, f := range p.AllFlows() {
		msgs = append(msgs, of13.AddFlow(f))
	}
	tbl := oftable.New(oftable.Config{NumTables: p.Tables.Len()})
	if err := tbl.CheckRedundantSafe(msgs, 0, 1, 7, len(msgs)/2); err != nil {
		t.Fatal(err)
	}
}
