package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// send applies a cache plan to the model switch and commits it.
func send(t *testing.T, tbl *oftable.Table, c *Cache, owner string, p Plan) {
	t.Helper()
	applyPlan(t, tbl, p)
	c.Commit(owner)
}

// checkMirror asserts that the switch holds exactly what the cache says.
func checkMirror(t *testing.T, tbl *oftable.Table, c *Cache) {
	t.Helper()
	all := c.All()
	if got, want := flowsText(tbl.Flows(), nil), flowsText(all.Flows, nil); got != want {
		t.Fatalf("switch flows\n%s\ncache flows\n%s", got, want)
	}
	if got, want := len(tbl.Meters()), len(all.Meters); got != want {
		t.Fatalf("switch has %d meters, cache %d", got, want)
	}
	if got, want := len(tbl.Groups()), len(all.Groups); got != want {
		t.Fatalf("switch has %d groups, cache %d", got, want)
	}
}

func TestCacheSetCommitAndNoOp(t *testing.T) {
	tbl := oftable.New(oftable.Config{NumTables: 8})
	c := NewCache()
	flows := []of13.Flow{hostFlow(1, 1), hostFlow(2, 1)}
	p := c.Set("port:1", flows)
	if p.Counts() != (PlanCounts{FlowAdds: 2}) || !c.Pending("port:1") {
		t.Fatalf("first set:\n%s", p)
	}
	send(t, tbl, c, "port:1", p)
	if c.Pending("port:1") || !slices.Equal(c.Owners(), []string{"port:1"}) {
		t.Fatal("commit did not record the owner")
	}
	if p := c.Set("port:1", flows); !p.Empty() {
		t.Fatalf("unchanged set must send nothing:\n%s", p)
	}
	c.Commit("port:1")
	changed := []of13.Flow{hostFlow(1, 1), hostFlow(3, 1)}
	p = c.Set("port:1", changed)
	if p.Counts() != (PlanCounts{FlowAdds: 1, FlowDeletes: 1}) {
		t.Fatalf("one host replaced by another:\n%s", p)
	}
	send(t, tbl, c, "port:1", p)
	checkMirror(t, tbl, c)
	p = c.Delete("port:1")
	send(t, tbl, c, "port:1", p)
	if tbl.Len() != 0 || len(c.Owners()) != 0 {
		t.Fatalf("delete left %d flows, owners %v", tbl.Len(), c.Owners())
	}
}

func TestCacheAbortAndUncommittedSet(t *testing.T) {
	c := NewCache()
	tbl := oftable.New(oftable.Config{NumTables: 8})
	send(t, tbl, c, "vlan:100", c.Set("vlan:100", []of13.Flow{hostFlow(1, 1)}))
	p1 := c.Set("vlan:100", []of13.Flow{hostFlow(1, 2)})
	c.Abort("vlan:100")
	if c.Pending("vlan:100") {
		t.Fatal("abort left the plan pending")
	}
	if got := c.Get("vlan:100").Flows; len(got) != 1 || !got[0].Equal(&[]of13.Flow{hostFlow(1, 1)}[0]) {
		t.Fatal("abort must keep the committed state")
	}
	// After an abort, or without a commit, a Set diffs against the
	// committed state again.
	p2 := c.Set("vlan:100", []of13.Flow{hostFlow(1, 2)})
	p3 := c.Set("vlan:100", []of13.Flow{hostFlow(1, 2)})
	if p1.String() != p2.String() || p2.String() != p3.String() || p1.Len() != 1 {
		t.Fatalf("plans differ:\n%s\n%s\n%s", p1, p2, p3)
	}
	send(t, tbl, c, "vlan:100", p3)
	checkMirror(t, tbl, c)
}

func TestCacheSharedFlowKey(t *testing.T) {
	tbl := oftable.New(oftable.Config{NumTables: 8})
	c := NewCache()
	vA, vB := hostFlow(1, 1), hostFlow(1, 2) // same key, different output
	send(t, tbl, c, "a", c.Set("a", []of13.Flow{vA}))
	p := c.Set("b", []of13.Flow{vB})
	if p.Len() != 1 {
		t.Fatalf("b's version must be sent:\n%s", p)
	}
	send(t, tbl, c, "b", p)
	// b drops the flow a still wants: a's version comes back, not a delete.
	p = c.Delete("b")
	if p.Counts() != (PlanCounts{FlowAdds: 1}) {
		t.Fatalf("want a's flow restored:\n%s", p)
	}
	send(t, tbl, c, "b", p)
	checkMirror(t, tbl, c)
	if got := tbl.Flows(); len(got) != 1 || !got[0].Equal(&vA) {
		t.Fatalf("switch holds %v", got)
	}
	// Identical versions: the second owner sends nothing, and the flow
	// stays until the last owner drops it.
	if p := c.Set("c", []of13.Flow{vA}); !p.Empty() {
		t.Fatalf("identical shared flow sent again:\n%s", p)
	}
	c.Commit("c")
	if p := c.Delete("a"); !p.Empty() {
		t.Fatalf("flow still wanted by c was touched:\n%s", p)
	}
	c.Commit("a")
	p = c.Delete("c")
	if p.Counts() != (PlanCounts{FlowDeletes: 1}) {
		t.Fatalf("last owner gone, flow must go:\n%s", p)
	}
	send(t, tbl, c, "c", p)
	checkMirror(t, tbl, c)
}

func TestCacheOwnerMetersAndGroups(t *testing.T) {
	tbl := oftable.New(oftable.Config{NumTables: 8})
	c := NewCache()
	meter := of13.Meter{ID: 7, Flags: of13.MeterKbps, Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 96}}}
	group := of13.Group{ID: 7, Type: of13.GroupTypeIndirect, Buckets: []of13.Bucket{{Actions: []of13.Action{of13.Output(3)}}}}
	rtp := func(port uint16) of13.Flow {
		return of13.Flow{Table: 1, Priority: 20000, Cookie: callCookie | 1,
			Match: of13.NewMatch(of13.EthType(0x0800), of13.IPProto(17), of13.PortField(of13.FieldUDPDst, port)),
			Instr: of13.Instructions{Meter: 7, Apply: []of13.Action{of13.SetDSCP(46), of13.GroupAction(7)}}}
	}
	call := State{Flows: []of13.Flow{rtp(16384)}, Meters: []of13.Meter{meter}, Groups: []of13.Group{group}}
	p := c.SetState("call:1", call)
	if len(p.Phases) != 2 || p.Counts() != (PlanCounts{FlowAdds: 1, MeterMods: 1, GroupMods: 1}) {
		t.Fatalf("meter and group first, then the flow:\n%s", p)
	}
	send(t, tbl, c, "call:1", p)
	// Set replaces flows only; the meter and group stay.
	send(t, tbl, c, "call:1", c.Set("call:1", []of13.Flow{rtp(16386)}))
	if len(tbl.Meters()) != 1 || len(tbl.Groups()) != 1 {
		t.Fatal("Set must keep the owner's meter and group")
	}
	// A second call sharing the meter and group id: nothing to add.
	call2 := State{Flows: []of13.Flow{rtp(16388)}, Meters: []of13.Meter{meter}, Groups: []of13.Group{group}}
	p = c.SetState("call:2", call2)
	if p.Counts() != (PlanCounts{FlowAdds: 1}) {
		t.Fatalf("shared meter and group must not be added twice:\n%s", p)
	}
	send(t, tbl, c, "call:2", p)
	// Ending call 1 keeps what call 2 uses.
	p = c.Delete("call:1")
	if p.Counts() != (PlanCounts{FlowDeletes: 1}) {
		t.Fatalf("call 1 end:\n%s", p)
	}
	send(t, tbl, c, "call:1", p)
	checkMirror(t, tbl, c)
	p = c.Delete("call:2")
	if p.Counts() != (PlanCounts{FlowDeletes: 1, MeterMods: 1, GroupMods: 1}) || len(p.Phases) != 2 {
		t.Fatalf("call 2 end: flow first, then group and meter:\n%s", p)
	}
	send(t, tbl, c, "call:2", p)
	if tbl.String() != "" {
		t.Fatalf("leftovers:\n%s", tbl)
	}
}

// TestCacheRandomOwnersMirrorSwitch drives several owners with
// overlapping flows through random sets, commits and aborts, and checks
// after every step that the switch holds exactly what All reports, and
// that replaying All onto an empty switch rebuilds the same tables.
func TestCacheRandomOwnersMirrorSwitch(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	tbl := oftable.New(oftable.Config{NumTables: 8})
	c := NewCache()
	owners := []string{"dp", "vlan:100", "port:1", "port:2", "call:a"}
	for step := range 500 {
		owner := owners[r.IntN(len(owners))]
		var flows []of13.Flow
		for range r.IntN(6) {
			// 12 keys shared by all owners; versions differ by port.
			flows = append(flows, hostFlow(r.IntN(12), uint32(1+r.IntN(3))))
		}
		p := c.Set(owner, flows)
		if r.IntN(6) == 0 {
			c.Abort(owner) // never sent
		} else {
			send(t, tbl, c, owner, p)
		}
		checkMirror(t, tbl, c)
		if t.Failed() {
			t.Fatalf("step %d", step)
		}
	}
	replay := oftable.New(oftable.Config{NumTables: 8})
	applyPlan(t, replay, Diff(c.All(), State{}, ownDP))
	if replay.String() != tbl.String() {
		t.Fatal("replaying All does not rebuild the switch")
	}
	// A reconnect to a switch that lost a flow restores just that flow.
	lost := tbl.Clone()
	if tbl.Len() > 0 {
		if err := lost.ApplyFlowMod(of13.DeleteStrict(tbl.Flows()[0])); err != nil {
			t.Fatal(err)
		}
		p := Diff(c.All(), stateOf(lost), ownDP)
		if p.Len() != 1 {
			t.Fatalf("replay after one lost flow:\n%s", p)
		}
	}
}

func BenchmarkCacheSetOneOwnerOf1000(b *testing.B) {
	c := NewCache()
	for i := range 1000 {
		c.Set(fmt.Sprintf("host:%d", i), []of13.Flow{hostFlow(i, 1), hostFlow(i+100000, 1)})
		c.Commit(fmt.Sprintf("host:%d", i))
	}
	moved := []of13.Flow{hostFlow(500, 2), hostFlow(100500, 2)}
	orig := []of13.Flow{hostFlow(500, 1), hostFlow(100500, 1)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		fs := moved
		if i%2 == 1 {
			fs = orig
		}
		if p := c.Set("host:500", fs); p.Len() != 2 {
			b.Fatal(p)
		}
		c.Commit("host:500")
	}
}
