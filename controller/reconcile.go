package controller

import (
	"cmp"
	"slices"
	"strings"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// The reconciler turns "what the switch should hold" and "what it holds"
// into the messages that make them equal. It is pure: no I/O, no clock,
// no goroutines; the session layer sends the Plan.

// CookieMask selects flows by cookie: a flow is selected when its cookie
// equals Cookie on the bits set in Mask. {0, 0} selects every flow.
type CookieMask struct {
	Cookie, Mask uint64
}

// Matches reports whether cookie is selected.
func (c CookieMask) Matches(cookie uint64) bool { return (cookie^c.Cookie)&c.Mask == 0 }

// State is the content of a switch's tables, as desired or as dumped.
type State struct {
	Flows  []of13.Flow
	Meters []of13.Meter
	Groups []of13.Group
}

// DiffOptions says what the controller owns and so may delete.
type DiffOptions struct {
	// Owned lists the cookies of the flows the controller owns. A flow the
	// switch holds but the controller does not want is deleted only when
	// its cookie matches one of these; other flows belong to someone else
	// (per-call flows are removed by their owner) and are never touched.
	// Empty owns no flow.
	Owned []CookieMask
	// Keep lists cookies that are never deleted, even when Owned selects
	// them: flows another component of the controller installs and removes
	// itself (per-call voice flows), when Owned is "every flow".
	Keep []CookieMask
	// OwnsMeter and OwnsGroup say which unwanted meters and groups may be
	// deleted; nil owns none. A meter or group still used by a flow that
	// stays is never deleted, owned or not: the switch would delete the
	// flow with it.
	OwnsMeter func(id uint32) bool
	OwnsGroup func(id uint32) bool
}

// AnyID owns every meter or group id, for DiffOptions.
func AnyID(uint32) bool { return true }

func (o *DiffOptions) ownsFlow(cookie uint64) bool {
	for _, c := range o.Keep {
		if c.Matches(cookie) {
			return false
		}
	}
	for _, c := range o.Owned {
		if c.Matches(cookie) {
			return true
		}
	}
	return false
}

// Plan is the ordered set of messages that turns one state into another.
// Consecutive phases must be separated by a barrier: the next phase is
// sent only after the switch has confirmed the previous one, because the
// switch may otherwise reorder messages (OpenFlow 1.3 §6.2). Phases, in
// order, and each present only when non-empty:
//
//  1. strict deletes of flows no longer wanted;
//  2. meter and group adds and modifies (before the flows that use them;
//     a group before the groups that chain to it);
//  3. flow adds, for new flows and for flows whose content changed (an add
//     replaces the flow with the same table, priority and match in place,
//     keeping its counters, so a changed flow never leaves a gap); later
//     tables first, so a goto never points at a table not yet filled;
//  4. deletes of groups and meters nothing uses any more.
//
// Wanted flows that are already installed identically get no message, so
// reconciling after a controller restart disturbs no traffic.
type Plan struct {
	Phases [][]of13.Message
}

// Empty reports whether the plan sends nothing.
func (p Plan) Empty() bool { return len(p.Phases) == 0 }

// Len returns the number of messages, barriers not counted.
func (p Plan) Len() int {
	n := 0
	for _, ph := range p.Phases {
		n += len(ph)
	}
	return n
}

// Msgs returns the messages in order, without barriers.
func (p Plan) Msgs() []of13.Message {
	out := make([]of13.Message, 0, p.Len())
	for _, ph := range p.Phases {
		out = append(out, ph...)
	}
	return out
}

// String renders the plan one message per line, with "barrier" lines
// between phases.
func (p Plan) String() string {
	var b strings.Builder
	for i, ph := range p.Phases {
		if i > 0 {
			b.WriteString("barrier\n")
		}
		for _, m := range ph {
			b.WriteString(m.Summary())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// changes is a diff before it is ordered into a Plan.
type changes struct {
	flowDels  []of13.Flow
	meterMods []of13.MeterMod
	groupMods []of13.GroupMod
	flowAdds  []of13.Flow
	groupDels []uint32
	meterDels []uint32
	// modLevel and delLevel give a group-mod's and a group delete's
	// chaining depth by group id; a barrier separates levels.
	modLevel map[uint32]int
	delLevel map[uint32]int
}

// plan orders the changes into phases. Chained groups need more than one
// phase each way: a group is written only after the groups it chains to
// are confirmed, and deleted only after the groups chaining to it are gone.
func (c *changes) plan() Plan {
	var p Plan
	add := func(ph []of13.Message) {
		if len(ph) > 0 {
			p.Phases = append(p.Phases, ph)
		}
	}
	ph := make([]of13.Message, 0, len(c.flowDels))
	for i := range c.flowDels {
		ph = append(ph, of13.DeleteStrict(c.flowDels[i]))
	}
	add(ph)
	ph = make([]of13.Message, 0, len(c.meterMods)+len(c.groupMods))
	for _, m := range c.meterMods {
		ph = append(ph, m)
	}
	for i, g := range c.groupMods {
		if i > 0 && c.modLevel[g.ID] != c.modLevel[c.groupMods[i-1].ID] {
			add(ph)
			ph = nil
		}
		ph = append(ph, g)
	}
	add(ph)
	ph = make([]of13.Message, 0, len(c.flowAdds))
	for i := range c.flowAdds {
		ph = append(ph, of13.AddFlow(c.flowAdds[i]))
	}
	add(ph)
	ph = make([]of13.Message, 0, len(c.groupDels)+len(c.meterDels))
	for i, id := range c.groupDels {
		if i > 0 && c.delLevel[id] != c.delLevel[c.groupDels[i-1]] {
			add(ph)
			ph = nil
		}
		ph = append(ph, of13.GroupMod{Command: of13.ModDelete, Group: of13.Group{ID: id}})
	}
	for _, id := range c.meterDels {
		ph = append(ph, of13.MeterMod{Command: of13.ModDelete, Meter: of13.Meter{ID: id}})
	}
	add(ph)
	return p
}

// Diff returns the Plan that turns actual into desired, touching only what
// opts says the controller owns. When desired holds two flows with the same
// key, the later one wins. Diff does not check that desired is valid (that
// its meters and groups exist, its gotos go forward); the switch does.
func Diff(desired, actual State, opts DiffOptions) Plan {
	c := diff(&desired, &actual, &opts)
	return c.plan()
}

func diff(desired, actual *State, opts *DiffOptions) changes {
	var c changes
	dkeys := make([]of13.FlowKey, len(desired.Flows))
	want := make(map[of13.FlowKey]int, len(desired.Flows))
	for i := range desired.Flows {
		dkeys[i] = desired.Flows[i].Key()
		want[dkeys[i]] = i
	}
	have := make(map[of13.FlowKey]int, len(actual.Flows))
	// Meters and groups used by the flows that will remain.
	usedMeters := map[uint32]bool{}
	usedGroups := map[uint32]bool{}
	for i := range actual.Flows {
		a := &actual.Flows[i]
		k := a.Key()
		have[k] = i
		if _, ok := want[k]; ok {
			continue
		}
		if opts.ownsFlow(a.Cookie) {
			c.flowDels = append(c.flowDels, *a)
			continue
		}
		noteUses(&a.Instr, usedMeters, usedGroups)
	}
	for i := range desired.Flows {
		d := &desired.Flows[i]
		if want[dkeys[i]] != i {
			continue // a later duplicate wins
		}
		noteUses(&d.Instr, usedMeters, usedGroups)
		if j, ok := have[dkeys[i]]; ok && actual.Flows[j].Equal(d) {
			continue
		}
		c.flowAdds = append(c.flowAdds, *d)
	}
	// Deletes: entry tables first, so traffic stops reaching a flow before
	// what it leads to goes. Adds: later tables first (see Plan).
	sortFlows(c.flowDels)
	slices.SortStableFunc(c.flowAdds, func(a, b of13.Flow) int { return cmp.Compare(b.Table, a.Table) })
	diffMeters(desired.Meters, actual.Meters, opts, usedMeters, &c)
	diffGroups(desired.Groups, actual.Groups, opts, usedGroups, &c)
	return c
}

// sortFlows orders flows by table, descending priority and match, so that
// a plan does not depend on the order a switch dumped its flows in.
func sortFlows(fs []of13.Flow) {
	if len(fs) < 2 {
		return
	}
	type item struct {
		key string
		f   of13.Flow
	}
	items := make([]item, len(fs))
	for i := range fs {
		k := fs[i].Key()
		items[i] = item{k.String(), fs[i]}
	}
	slices.SortFunc(items, func(a, b item) int {
		if x := cmp.Compare(a.f.Table, b.f.Table); x != 0 {
			return x
		}
		if x := cmp.Compare(b.f.Priority, a.f.Priority); x != 0 {
			return x
		}
		return strings.Compare(a.key, b.key)
	})
	for i := range items {
		fs[i] = items[i].f
	}
}

func noteUses(in *of13.Instructions, meters, groups map[uint32]bool) {
	if in.Meter != 0 {
		meters[in.Meter] = true
	}
	for _, as := range [][]of13.Action{in.Apply, in.Write} {
		for _, a := range as {
			if a.Type == of13.ActionGroup {
				groups[a.Arg] = true
			}
		}
	}
}

func diffMeters(desired, actual []of13.Meter, opts *DiffOptions, used map[uint32]bool, c *changes) {
	have := make(map[uint32]*of13.Meter, len(actual))
	for i := range actual {
		have[actual[i].ID] = &actual[i]
	}
	want := make(map[uint32]bool, len(desired))
	for i := range desired {
		m := &desired[i]
		want[m.ID] = true
		switch a, ok := have[m.ID]; {
		case !ok:
			c.meterMods = append(c.meterMods, of13.MeterMod{Command: of13.ModAdd, Meter: *m})
		case !meterSame(a, m):
			c.meterMods = append(c.meterMods, of13.MeterMod{Command: of13.ModModify, Meter: *m})
		}
	}
	for id := range have {
		if !want[id] && !used[id] && opts.OwnsMeter != nil && opts.OwnsMeter(id) {
			c.meterDels = append(c.meterDels, id)
		}
	}
	slices.SortFunc(c.meterMods, func(a, b of13.MeterMod) int { return cmp.Compare(a.ID, b.ID) })
	slices.Sort(c.meterDels)
}

// meterSame compares meters as a switch reports them: Open vSwitch does
// not echo the stats flag, and burst sizes mean nothing without the burst
// flag.
func meterSame(a, b *of13.Meter) bool {
	const ignore = of13.MeterStats
	if a.ID != b.ID || a.Flags&^ignore != b.Flags&^ignore || len(a.Bands) != len(b.Bands) {
		return false
	}
	for i := range a.Bands {
		x, y := a.Bands[i], b.Bands[i]
		if a.Flags&of13.MeterBurst == 0 {
			x.BurstSize, y.BurstSize = 0, 0
		}
		if x != y {
			return false
		}
	}
	return true
}

// groupSame compares groups as a switch reports them: an unset watch port
// or group reads back as ANY, and weights only matter in select groups.
func groupSame(a, b *of13.Group) bool {
	if a.ID != b.ID || a.Type != b.Type || len(a.Buckets) != len(b.Buckets) {
		return false
	}
	norm := func(x uint32, anyID uint32) uint32 {
		if x == anyID {
			return 0
		}
		return x
	}
	for i := range a.Buckets {
		x, y := a.Buckets[i], b.Buckets[i]
		if a.Type == of13.GroupTypeSelect && x.Weight != y.Weight {
			return false
		}
		if norm(x.WatchPort, of13.PortAny) != norm(y.WatchPort, of13.PortAny) ||
			norm(x.WatchGroup, of13.GroupAny) != norm(y.WatchGroup, of13.GroupAny) ||
			!slices.Equal(x.Actions, y.Actions) {
			return false
		}
	}
	return true
}

func groupRefs(g *of13.Group, fn func(id uint32)) {
	for _, b := range g.Buckets {
		for _, a := range b.Actions {
			if a.Type == of13.ActionGroup {
				fn(a.Arg)
			}
		}
	}
}

func diffGroups(desired, actual []of13.Group, opts *DiffOptions, used map[uint32]bool, c *changes) {
	have := make(map[uint32]*of13.Group, len(actual))
	for i := range actual {
		have[actual[i].ID] = &actual[i]
	}
	want := make(map[uint32]*of13.Group, len(desired))
	for i := range desired {
		want[desired[i].ID] = &desired[i]
	}
	// Write desired groups that are new or changed, each a level above the
	// written groups it chains to.
	level := map[uint32]int{}
	var visit func(id uint32) int
	visit = func(id uint32) int {
		if l, ok := level[id]; ok {
			return l
		}
		g, ok := want[id]
		if !ok {
			return -1 // already installed and unchanged, or not ours
		}
		level[id] = -1 // cut cycles, which a switch rejects anyway
		l := -1
		groupRefs(g, func(ref uint32) { l = max(l, visit(ref)) })
		a, ok := have[id]
		switch {
		case !ok:
			c.groupMods = append(c.groupMods, of13.GroupMod{Command: of13.ModAdd, Group: *g})
		case !groupSame(a, g):
			c.groupMods = append(c.groupMods, of13.GroupMod{Command: of13.ModModify, Group: *g})
		default:
			level[id] = l
			return l
		}
		level[id] = l + 1
		return l + 1
	}
	for _, id := range sortedIDs(want) {
		visit(id)
	}
	slices.SortStableFunc(c.groupMods, func(a, b of13.GroupMod) int { return cmp.Compare(level[a.ID], level[b.ID]) })
	c.modLevel = level
	// Unwanted groups go when owned and unused by remaining flows and by
	// remaining groups; a group kept keeps the groups it chains to.
	for _, g := range desired {
		groupRefs(&g, func(id uint32) { used[id] = true })
	}
	dead := map[uint32]bool{}
	for id := range have {
		if want[id] == nil && !used[id] && opts.OwnsGroup != nil && opts.OwnsGroup(id) {
			dead[id] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for id, g := range have {
			if dead[id] || want[id] != nil {
				continue
			}
			groupRefs(g, func(ref uint32) {
				if dead[ref] {
					delete(dead, ref)
					changed = true
				}
			})
		}
	}
	// Delete a group one level after the dead groups chaining to it
	// (deleting it first fails with OFPGMFC_CHAINED_GROUP).
	dlevel := map[uint32]int{}
	var depth func(id uint32) int
	depth = func(id uint32) int {
		if l, ok := dlevel[id]; ok {
			return l
		}
		dlevel[id] = 0
		l := 0
		for ref := range dead {
			chains := false
			groupRefs(have[ref], func(x uint32) { chains = chains || x == id })
			if chains && ref != id {
				l = max(l, depth(ref)+1)
			}
		}
		dlevel[id] = l
		return l
	}
	c.groupDels = sortedIDs(dead)
	for _, id := range c.groupDels {
		depth(id)
	}
	slices.SortStableFunc(c.groupDels, func(a, b uint32) int { return cmp.Compare(dlevel[a], dlevel[b]) })
	c.delLevel = dlevel
}

func sortedIDs[V any](m map[uint32]V) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// PlanCounts counts a plan's messages by kind, for logs and metrics.
type PlanCounts struct {
	FlowAdds, FlowDeletes, MeterMods, GroupMods int
}

// Counts counts the plan's messages by kind.
func (p Plan) Counts() PlanCounts {
	var c PlanCounts
	for _, ph := range p.Phases {
		for _, m := range ph {
			switch m := m.(type) {
			case of13.FlowMod:
				if m.Command == of13.FlowAdd {
					c.FlowAdds++
				} else {
					c.FlowDeletes++
				}
			case of13.MeterMod:
				c.MeterMods++
			case of13.GroupMod:
				c.GroupMods++
			}
		}
	}
	return c
}
