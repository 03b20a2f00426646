package controller

import (
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

func TestShareKeepsAShareMetersAndChainedGroups(t *testing.T) {
	const mine = 0xabc
	st := State{
		Flows: []of13.Flow{
			{Table: 0, Priority: 1, Cookie: mine, Instr: of13.Instructions{Meter: 7}},
			{Table: 0, Priority: 2, Cookie: mine, Instr: of13.Instructions{Apply: []of13.Action{{Type: of13.ActionGroup, Arg: 20}}}},
			{Table: 0, Priority: 3, Cookie: 1, Instr: of13.Instructions{Meter: 1}},
		},
		Meters: []of13.Meter{{ID: 1}, {ID: 7}, {ID: 9}},
		Groups: []of13.Group{
			{ID: 20, Buckets: []of13.Bucket{{Actions: []of13.Action{{Type: of13.ActionGroup, Arg: 21}}}}},
			{ID: 21, Buckets: []of13.Bucket{{Actions: []of13.Action{{Type: of13.ActionGroup, Arg: 22}}}}},
			{ID: 22},
			{ID: 30},
		},
	}
	in, rest := Share(st, func(c uint64) bool { return c == mine })
	if len(in.Flows) != 2 || len(rest.Flows) != 1 || rest.Flows[0].Cookie != 1 {
		t.Fatalf("flows: in %v, rest %v", in.Flows, rest.Flows)
	}
	ids := func(ms []of13.Meter) (out []uint32) {
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	gids := func(gs []of13.Group) (out []uint32) {
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	if got := ids(in.Meters); len(got) != 1 || got[0] != 7 {
		t.Errorf("share's meters = %v, want [7]", got)
	}
	// The unused meter 9 and the rest's meter 1 stay with the rest.
	if got := ids(rest.Meters); len(got) != 2 || got[0] != 1 || got[1] != 9 {
		t.Errorf("rest's meters = %v, want [1 9]", got)
	}
	// Group 20 chains to 21, which chains to 22: all three are the share's.
	if got := gids(in.Groups); len(got) != 3 || got[0] != 20 || got[2] != 22 {
		t.Errorf("share's groups = %v, want [20 21 22]", got)
	}
	if got := gids(rest.Groups); len(got) != 1 || got[0] != 30 {
		t.Errorf("rest's groups = %v, want [30]", got)
	}
}
