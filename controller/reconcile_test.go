package controller

import (
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

const (
	dpCookie   = 0x5adc15c0
	callCookie = 0xca11 << 48
)

var ownDP = DiffOptions{Owned: []CookieMask{{Cookie: dpCookie, Mask: ^uint64(0)}}, OwnsMeter: AnyID, OwnsGroup: AnyID}

func hostFlow(i int, port uint32) of13.Flow {
	mac := net.HardwareAddr{0x0e, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
	return of13.Flow{Table: 2, Priority: 8192, Cookie: dpCookie,
		Match: of13.NewMatch(of13.VlanVID(100), of13.EthDst(mac)),
		Instr: of13.ApplyActions(of13.PopVLAN(), of13.Output(port))}
}

// install puts s on a fresh model switch, meters and groups first.
func install(t testing.TB, s State) *oftable.Table {
	t.Helper()
	tbl := oftable.New(oftable.Config{NumTables: 8})
	for _, m := range s.Meters {
		if err := tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: m}); err != nil {
			t.Fatal(err)
		}
	}
	// Groups in id order; tests only chain to lower ids.
	gs := slices.Clone(s.Groups)
	slices.SortFunc(gs, func(a, b of13.Group) int { return int(a.ID) - int(b.ID) })
	for _, g := range gs {
		if err := tbl.ApplyGroupMod(of13.GroupMod{Command: of13.ModAdd, Group: g}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tbl.AddFlows(s.Flows...); err != nil {
		t.Fatal(err)
	}
	return tbl
}

func stateOf(tbl *oftable.Table) State {
	return State{Flows: tbl.Flows(), Meters: tbl.Meters(), Groups: tbl.Groups()}
}

// applyPlan sends p to tbl phase by phase. Within a phase a switch may
// reorder messages, so each phase is applied in reverse order too, on a
// copy, and must give the same result: that is what proves the barriers
// sit where ordering matters.
func applyPlan(t testing.TB, tbl *oftable.Table, p Plan) {
	t.Helper()
	rev := tbl.Clone()
	for i, ph := range p.Phases {
		if err := tbl.Apply(ph...); err != nil {
			t.Fatalf("phase %d: %v\nplan:\n%s", i, err, p)
		}
		r := slices.Clone(ph)
		slices.Reverse(r)
		if err := rev.Apply(r...); err != nil {
			t.Fatalf("phase %d reversed: %v\nplan:\n%s", i, err, p)
		}
	}
	if tbl.String() != rev.String() {
		t.Fatalf("plan depends on message order within a phase:\n%s", p)
	}
}

func flowsText(fs []of13.Flow, keep func(*of13.Flow) bool) string {
	var lines []string
	for i := range fs {
		if keep == nil || keep(&fs[i]) {
			lines = append(lines, fs[i].String())
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestDiffNoChangeIsEmpty(t *testing.T) {
	var s State
	for i := range 50 {
		s.Flows = append(s.Flows, hostFlow(i, uint32(1+i%8)))
	}
	s.Meters = []of13.Meter{{ID: 1, Flags: of13.MeterKbps, Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 100}}}}
	s.Groups = []of13.Group{{ID: 1, Type: of13.GroupTypeAll, Buckets: []of13.Bucket{{Actions: []of13.Action{of13.Output(1)}}}}}
	actual := stateOf(install(t, s)) // in the switch's order, not ours
	if p := Diff(s, actual, ownDP); !p.Empty() || p.Len() != 0 {
		t.Fatalf("no change must give an empty plan:\n%s", p)
	}
	// As a switch reports them: stats flag dropped, watch port/group ANY.
	actual.Meters[0].Flags &^= of13.MeterStats
	s.Meters[0].Flags |= of13.MeterStats
	actual.Groups[0].Buckets[0].WatchPort = of13.PortAny
	actual.Groups[0].Buckets[0].WatchGroup = of13.GroupAny
	if p := Diff(s, actual, ownDP); !p.Empty() {
		t.Fatalf("read-back differences must not cause changes:\n%s", p)
	}
}

func TestDiffOneChangeOneMessage(t *testing.T) {
	var s State
	for i := range 100 {
		s.Flows = append(s.Flows, hostFlow(i, 1))
	}
	for _, tc := range []struct {
		name   string
		change func(*of13.Flow)
	}{
		{"instructions", func(f *of13.Flow) { f.Instr = of13.ApplyActions(of13.PopVLAN(), of13.Output(9)) }},
		{"cookie", func(f *of13.Flow) { f.Cookie = dpCookie + 1 }},
		{"idle timeout", func(f *of13.Flow) { f.IdleTimeout = 300 }},
		{"hard timeout", func(f *of13.Flow) { f.HardTimeout = 300 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := install(t, s)
			desired := State{Flows: slices.Clone(s.Flows)}
			tc.change(&desired.Flows[42])
			p := Diff(desired, stateOf(tbl), ownDP)
			msgs := p.Msgs()
			if len(msgs) != 1 || len(p.Phases) != 1 {
				t.Fatalf("want one message, got:\n%s", p)
			}
			fm, ok := msgs[0].(of13.FlowMod)
			if !ok || fm.Command != of13.FlowAdd || !fm.Flow.Equal(&desired.Flows[42]) {
				t.Fatalf("want an add of the changed flow, got %s", msgs[0].Summary())
			}
			applyPlan(t, tbl, p)
			if got, want := flowsText(tbl.Flows(), nil), flowsText(desired.Flows, nil); got != want {
				t.Fatal("table differs from desired")
			}
		})
	}
}

func TestDiffLeavesUnownedFlowsMetersAndGroups(t *testing.T) {
	callMeter := of13.Meter{ID: 100, Flags: of13.MeterKbps, Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 96}}}
	callGroup := of13.Group{ID: 100, Type: of13.GroupTypeIndirect, Buckets: []of13.Bucket{{Actions: []of13.Action{of13.Output(3)}}}}
	call := of13.Flow{Table: 1, Priority: 20000, Cookie: callCookie | 7,
		Match: of13.NewMatch(of13.EthType(0x0800), of13.IPProto(17), of13.PortField(of13.FieldUDPDst, 16384)),
		Instr: of13.Instructions{Meter: 100, Apply: []of13.Action{of13.SetDSCP(46), of13.GroupAction(100)}}}
	stale := hostFlow(1, 4)
	actual := State{Flows: []of13.Flow{call, stale, hostFlow(2, 5)}, Meters: []of13.Meter{callMeter}, Groups: []of13.Group{callGroup}}
	tbl := install(t, actual)
	desired := State{Flows: []of13.Flow{hostFlow(2, 5)}}
	p := Diff(desired, stateOf(tbl), ownDP)
	if p.Len() != 1 {
		t.Fatalf("only the stale owned flow should go:\n%s", p)
	}
	applyPlan(t, tbl, p)
	want := flowsText([]of13.Flow{call, hostFlow(2, 5)}, nil)
	if got := flowsText(tbl.Flows(), nil); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if len(tbl.Meters()) != 1 || len(tbl.Groups()) != 1 {
		t.Fatal("the call's meter and group are in use and must stay")
	}
	// Owning nothing deletes nothing.
	if p := Diff(State{}, stateOf(tbl), DiffOptions{}); !p.Empty() {
		t.Fatalf("zero options own nothing:\n%s", p)
	}
}

func TestDiffPhaseOrder(t *testing.T) {
	meter := func(id, rate uint32) of13.Meter {
		return of13.Meter{ID: id, Flags: of13.MeterKbps, Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: rate}}}
	}
	group := func(id uint32, as ...of13.Action) of13.Group {
		return of13.Group{ID: id, Type: of13.GroupTypeAll, Buckets: []of13.Bucket{{Actions: as}}}
	}
	entry := func(prio uint16, port uint32, in of13.Instructions) of13.Flow {
		return of13.Flow{Table: 0, Priority: prio, Cookie: dpCookie, Match: of13.NewMatch(of13.InPort(port)), Instr: in}
	}
	actual := State{
		Meters: []of13.Meter{meter(1, 100), meter(2, 100)},
		Groups: []of13.Group{group(1, of13.Output(1)), group(2, of13.GroupAction(1)), group(3, of13.Output(3))},
		Flows: []of13.Flow{
			entry(10, 1, of13.Instructions{Meter: 1, Apply: []of13.Action{of13.GroupAction(2)}}),
			entry(10, 2, of13.ApplyActions(of13.GroupAction(3))),
			entry(10, 3, of13.Instructions{Meter: 2}),
		},
	}
	desired := State{
		Meters: []of13.Meter{meter(1, 200), meter(4, 50)},
		Groups: []of13.Group{group(3, of13.Output(4)), group(5, of13.Output(5)), group(6, of13.GroupAction(5))},
		Flows: []of13.Flow{
			entry(10, 2, of13.ApplyActions(of13.GroupAction(3))),
			entry(10, 4, of13.Instructions{Meter: 4, Apply: []of13.Action{of13.GroupAction(6)}, HasGoto: true, GotoTable: 1}),
			{Table: 1, Priority: 1, Cookie: dpCookie, Instr: of13.Instructions{Meter: 1}},
		},
	}
	tbl := install(t, actual)
	p := Diff(desired, stateOf(tbl), ownDP)
	want := `flow-mod delete_strict table=0,priority=10,in_port=1,actions=drop
flow-mod delete_strict table=0,priority=10,in_port=3,actions=drop
barrier
meter-mod modify meter=1,kbps,bands=type=drop,rate=200
meter-mod add meter=4,kbps,bands=type=drop,rate=50
group-mod modify group_id=3,type=all,bucket=output:4
group-mod add group_id=5,type=all,bucket=output:5
barrier
group-mod add group_id=6,type=all,bucket=group:5
barrier
flow-mod add table=1,priority=1,cookie=0x5adc15c0,actions=meter:1
flow-mod add table=0,priority=10,cookie=0x5adc15c0,in_port=4,actions=meter:4,group:6,goto_table:1
barrier
group-mod delete group_id=2,type=all
barrier
group-mod delete group_id=1,type=all
meter-mod delete meter=2,bands=
`
	if got := p.String(); got != want {
		t.Fatalf("plan\n%s\nwant\n%s", got, want)
	}
	applyPlan(t, tbl, p)
	if got := tbl.String(); got != install(t, desired).String() {
		t.Fatalf("table after plan:\n%s", got)
	}
	if c := p.Counts(); c != (PlanCounts{FlowAdds: 2, FlowDeletes: 2, MeterMods: 3, GroupMods: 5}) {
		t.Fatalf("counts %+v", c)
	}
}

func TestDiffDuplicateDesiredLaterWins(t *testing.T) {
	a, b := hostFlow(1, 1), hostFlow(1, 2)
	p := Diff(State{Flows: []of13.Flow{a, b}}, State{}, ownDP)
	msgs := p.Msgs()
	if len(msgs) != 1 {
		t.Fatalf("plan:\n%s", p)
	}
	if fm := msgs[0].(of13.FlowMod); !fm.Flow.Equal(&b) {
		t.Fatalf("plan:\n%s", p)
	}
}

// randState draws a valid switch state: flows in tables 0-3 matching a
// few ports, VLANs and MACs, some owned (dp cookie), some not (call
// cookies), using meters and groups that exist.
func randState(r *rand.Rand, owned bool, n int, meters, groups []uint32) State {
	var s State
	for _, id := range meters {
		s.Meters = append(s.Meters, of13.Meter{ID: id, Flags: of13.MeterKbps,
			Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: uint32(64 + r.IntN(2)*64)}}})
	}
	for _, id := range groups {
		s.Groups = append(s.Groups, of13.Group{ID: id, Type: of13.GroupTypeAll,
			Buckets: []of13.Bucket{{Actions: []of13.Action{of13.Output(uint32(1 + r.IntN(4)))}}}})
	}
	for range n {
		f := of13.Flow{Table: uint8(r.IntN(4)), Priority: uint16(1 + r.IntN(3)), Cookie: dpCookie}
		if !owned {
			f.Cookie = callCookie | uint64(r.IntN(3))
		}
		if r.IntN(4) > 0 {
			f.Match = f.Match.With(of13.InPort(uint32(1 + r.IntN(4))))
		}
		if r.IntN(2) == 0 {
			f.Match = f.Match.With(of13.VlanVID(uint16(100 + r.IntN(3))))
		}
		if r.IntN(2) == 0 {
			f.Match = f.Match.With(of13.EthDst(net.HardwareAddr{0x0e, 0, 0, 0, 0, byte(r.IntN(8))}))
		}
		switch r.IntN(4) {
		case 0:
			f.Instr = of13.ApplyActions(of13.Output(uint32(1 + r.IntN(4))))
		case 1:
			if f.Table < 3 {
				f.Instr = of13.Goto(f.Table + 1 + uint8(r.IntN(int(3-f.Table))))
			}
		case 2:
			if len(groups) > 0 {
				f.Instr = of13.ApplyActions(of13.GroupAction(groups[r.IntN(len(groups))]))
			}
		}
		if len(meters) > 0 && r.IntN(3) == 0 {
			f.Instr.Meter = meters[r.IntN(len(meters))]
		}
		if r.IntN(5) == 0 {
			f.IdleTimeout = 30
		}
		s.Flows = append(s.Flows, f)
	}
	return s
}

func isOwned(f *of13.Flow) bool { return ownDP.ownsFlow(f.Cookie) }

func TestDiffRandomReachesDesired(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	for round := range 300 {
		// The switch holds our flows, meters 1-3 and groups 1-3, and a
		// call's flows using meter 10 and group 10.
		ours := randState(r, true, 5+r.IntN(40), []uint32{1, 2, 3}, []uint32{1, 2, 3})
		calls := randState(r, false, r.IntN(10), []uint32{10}, []uint32{10})
		actualState := State{
			Flows:  append(slices.Clone(ours.Flows), calls.Flows...),
			Meters: append(ours.Meters, calls.Meters...),
			Groups: append(ours.Groups, calls.Groups...),
		}
		tbl := install(t, actualState)
		before := stateOf(tbl)
		// We now want: some of our flows kept, some changed, some new, and
		// a different set of meters and groups.
		desired := randState(r, true, r.IntN(40), []uint32{2, 3, 4}[:r.IntN(4)], []uint32{3, 4}[:r.IntN(3)])
		for _, f := range before.Flows {
			if isOwned(&f) && r.IntN(2) == 0 && usable(&f, &desired) {
				desired.Flows = append(desired.Flows, f)
			}
		}
		r.Shuffle(len(desired.Flows), func(i, j int) { desired.Flows[i], desired.Flows[j] = desired.Flows[j], desired.Flows[i] })

		p := Diff(desired, before, ownDP)
		applyPlan(t, tbl, p)
		after := stateOf(tbl)

		// Desired keys hold exactly the desired flows; owned flows are
		// exactly the desired ones.
		desiredKeys := map[of13.FlowKey]bool{}
		dedup := map[of13.FlowKey]of13.Flow{}
		for _, f := range desired.Flows {
			desiredKeys[f.Key()] = true
			dedup[f.Key()] = f
		}
		var want []of13.Flow
		for _, f := range dedup {
			want = append(want, f)
		}
		inDesired := func(f *of13.Flow) bool { return desiredKeys[f.Key()] }
		if got, w := flowsText(after.Flows, inDesired), flowsText(want, nil); got != w {
			t.Fatalf("round %d: desired flows\ngot\n%s\nwant\n%s\nplan:\n%s", round, got, w, p)
		}
		ownedNotDesired := func(f *of13.Flow) bool { return isOwned(f) && !inDesired(f) }
		if got := flowsText(after.Flows, ownedNotDesired); got != "" {
			t.Fatalf("round %d: stale owned flows left:\n%s", round, got)
		}
		// Unowned flows not overridden are untouched.
		unowned := func(f *of13.Flow) bool { return !isOwned(f) && !inDesired(f) }
		if got, w := flowsText(after.Flows, unowned), flowsText(before.Flows, unowned); got != w {
			t.Fatalf("round %d: unowned flows changed\ngot\n%s\nwant\n%s", round, got, w)
		}
		// Meters: desired ones as desired; others only if still used.
		checkIDs(t, round, "meter", after, desired, func(s State) map[uint32]string {
			m := map[uint32]string{}
			for _, x := range s.Meters {
				m[x.ID] = x.String()
			}
			return m
		}, func(in *of13.Instructions, id uint32) bool { return in.Meter == id })
		checkIDs(t, round, "group", after, desired, func(s State) map[uint32]string {
			m := map[uint32]string{}
			for _, x := range s.Groups {
				m[x.ID] = x.String()
			}
			return m
		}, func(in *of13.Instructions, id uint32) bool {
			return slices.Contains(in.Apply, of13.GroupAction(id))
		})
		// Reconciling again finds nothing to do, and the plan is safe to
		// resend (Faucet's offset check).
		if p2 := Diff(desired, after, ownDP); !p2.Empty() {
			t.Fatalf("round %d: second diff not empty:\n%s", round, p2)
		}
		if err := install(t, actualState).CheckRedundantSafe(p.Msgs(), 0, 1, 3); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// usable reports whether f's meter and group exist in s, so that keeping f
// in desired keeps desired valid.
func usable(f *of13.Flow, s *State) bool {
	if f.Instr.Meter != 0 && !slices.ContainsFunc(s.Meters, func(m of13.Meter) bool { return m.ID == f.Instr.Meter }) {
		return false
	}
	for _, a := range f.Instr.Apply {
		if a.Type == of13.ActionGroup && !slices.ContainsFunc(s.Groups, func(g of13.Group) bool { return g.ID == a.Arg }) {
			return false
		}
	}
	return true
}

func checkIDs(t *testing.T, round int, kind string, after, desired State, ids func(State) map[uint32]string, uses func(*of13.Instructions, uint32) bool) {
	t.Helper()
	got, want := ids(after), ids(desired)
	for id, s := range want {
		if got[id] != s {
			t.Fatalf("round %d: %s %d = %q, want %q", round, kind, id, got[id], s)
		}
	}
	for id := range got {
		if _, ok := want[id]; ok {
			continue
		}
		if !slices.ContainsFunc(after.Flows, func(f of13.Flow) bool { return uses(&f.Instr, id) }) {
			t.Fatalf("round %d: unused %s %d left behind", round, kind, id)
		}
	}
}

func benchState(n int) State {
	var s State
	for i := range n {
		s.Flows = append(s.Flows, hostFlow(i, uint32(1+i%48)))
	}
	return s
}

func BenchmarkDiff10kNoChange(b *testing.B) {
	desired, actual := benchState(10000), benchState(10000)
	b.ReportAllocs()
	for b.Loop() {
		if p := Diff(desired, actual, ownDP); !p.Empty() {
			b.Fatal("not empty")
		}
	}
}

func BenchmarkDiff10kOneChange(b *testing.B) {
	desired, actual := benchState(10000), benchState(10000)
	desired.Flows[5000].Instr = of13.ApplyActions(of13.Output(99))
	b.ReportAllocs()
	for b.Loop() {
		if p := Diff(desired, actual, ownDP); p.Len() != 1 {
			b.Fatal(p.Len())
		}
	}
}

func BenchmarkDiff10kColdStart(b *testing.B) {
	desired := benchState(10000)
	b.ReportAllocs()
	for b.Loop() {
		if p := Diff(desired, State{}, ownDP); p.Len() != 10000 {
			b.Fatal(p.Len())
		}
	}
}
