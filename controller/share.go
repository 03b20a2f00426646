package controller

import "github.com/voipsdn/voipsdn/openflow/of13"

// Share splits a switch's content between a store and the rest of the
// switch. in holds the flows whose cookie sel selects and the meters and
// groups they use (a group with every group it chains to); rest holds the
// other flows and every other meter and group, used or not. A meter or
// group a selected flow uses is the share's alone: a Diff of the rest
// never sees it, so never deletes it from under the share's flows. Shares
// are expected not to use each other's meter and group ids (the per-call
// store has its own meter range).
//
// Share is pure; the slices of in and rest are new, their elements copied.
func Share(st State, sel func(cookie uint64) bool) (in, rest State) {
	meters := map[uint32]bool{}
	groups := map[uint32]bool{}
	for i := range st.Flows {
		f := &st.Flows[i]
		if sel(f.Cookie) {
			in.Flows = append(in.Flows, *f)
			noteUses(&f.Instr, meters, groups)
		} else {
			rest.Flows = append(rest.Flows, *f)
		}
	}
	if len(groups) > 0 {
		chainedGroups(st.Groups, groups)
	}
	for _, m := range st.Meters {
		if meters[m.ID] {
			in.Meters = append(in.Meters, m)
		} else {
			rest.Meters = append(rest.Meters, m)
		}
	}
	for _, g := range st.Groups {
		if groups[g.ID] {
			in.Groups = append(in.Groups, g)
		} else {
			rest.Groups = append(rest.Groups, g)
		}
	}
	return in, rest
}

// chainedGroups adds to used every group a used group chains to, however
// deep.
func chainedGroups(all []of13.Group, used map[uint32]bool) {
	byID := make(map[uint32]*of13.Group, len(all))
	for i := range all {
		byID[all[i].ID] = &all[i]
	}
	var walk func(id uint32)
	walk = func(id uint32) {
		g := byID[id]
		if g == nil {
			return
		}
		groupRefs(g, func(ref uint32) {
			if !used[ref] {
				used[ref] = true
				walk(ref)
			}
		})
	}
	for id := range used {
		walk(id)
	}
}
