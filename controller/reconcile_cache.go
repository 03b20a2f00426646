package controller

import (
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Cache holds, per owner key ("dp", "vlan:100", "port:3", "call:<id>"),
// the flows, meters and groups that owner has installed on one switch, and
// turns an owner's new desired state into the Plan that installs it. Only
// what changed for that owner is sent, so learning one host or ending one
// call never rewrites the rest of the switch.
//
// Changes are two-phase: Set or SetState returns a Plan and records it as
// pending; Commit, called once the switch has confirmed the plan (its
// barrier came back without error), makes it the owner's cached state;
// Abort forgets it. A Set before the previous one is committed diffs
// against the committed state again and replaces the pending one; the
// messages it resends are harmless, because adds and strict deletes are
// idempotent.
//
// Owners may want the same flow (same table, priority and match). The
// switch holds one copy: the last one sent. When an owner drops a flow that
// another owner still wants, the Plan restores the other owner's version
// instead of deleting it; a meter or group is deleted only when no owner
// holds or uses it.
//
// A Cache is not safe for concurrent use: it belongs to the goroutine that
// owns the switch.
type Cache struct {
	committed map[string]*ownerState
	pending   map[string]*pendingChange
	// holders lists the owners whose committed state holds a flow key.
	holders map[of13.FlowKey][]string
	// writer is the owner whose version of a flow key the switch holds.
	writer map[of13.FlowKey]string
	// meterUse and groupUse count the owners that hold or use an id.
	meterUse map[uint32]int
	groupUse map[uint32]int
}

// ownerState is one owner's flows (deduplicated by key), meters and groups.
type ownerState struct {
	State
	byKey map[of13.FlowKey]int
}

type pendingChange struct {
	next *ownerState
	// written records, per flow key the plan sends or removes, whose
	// version the switch holds afterwards ("" for none).
	written map[of13.FlowKey]string
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{
		committed: map[string]*ownerState{},
		pending:   map[string]*pendingChange{},
		holders:   map[of13.FlowKey][]string{},
		writer:    map[of13.FlowKey]string{},
		meterUse:  map[uint32]int{},
		groupUse:  map[uint32]int{},
	}
}

func newOwnerState(s State) *ownerState {
	o := &ownerState{byKey: make(map[of13.FlowKey]int, len(s.Flows))}
	o.Meters = slices.Clone(s.Meters)
	o.Groups = slices.Clone(s.Groups)
	for i := range s.Flows {
		k := s.Flows[i].Key()
		if j, ok := o.byKey[k]; ok {
			o.Flows[j] = s.Flows[i]
			continue
		}
		o.byKey[k] = len(o.Flows)
		o.Flows = append(o.Flows, s.Flows[i])
	}
	return o
}

func (o *ownerState) flow(k of13.FlowKey) *of13.Flow {
	if i, ok := o.byKey[k]; ok {
		return &o.Flows[i]
	}
	return nil
}

func (o *ownerState) uses() (meters, groups map[uint32]bool) {
	meters, groups = map[uint32]bool{}, map[uint32]bool{}
	for _, m := range o.Meters {
		meters[m.ID] = true
	}
	for i := range o.Groups {
		groups[o.Groups[i].ID] = true
		groupRefs(&o.Groups[i], func(id uint32) { groups[id] = true })
	}
	for i := range o.Flows {
		noteUses(&o.Flows[i].Instr, meters, groups)
	}
	return meters, groups
}

var emptyOwner = &ownerState{byKey: map[of13.FlowKey]int{}}

func (c *Cache) current(owner string) *ownerState {
	if o, ok := c.committed[owner]; ok {
		return o
	}
	return emptyOwner
}

// Set replaces owner's flows, keeping its meters and groups, and returns
// the plan that does it on the switch.
func (c *Cache) Set(owner string, flows []of13.Flow) Plan {
	cur := c.current(owner)
	return c.SetState(owner, State{Flows: flows, Meters: cur.Meters, Groups: cur.Groups})
}

// Delete removes everything owner installed; it is SetState(owner, State{}).
func (c *Cache) Delete(owner string) Plan { return c.SetState(owner, State{}) }

// SetState replaces owner's flows, meters and groups and returns the plan
// that does it on the switch. The plan is pending until Commit.
func (c *Cache) SetState(owner string, s State) Plan {
	cur := c.current(owner)
	next := newOwnerState(s)
	all := DiffOptions{Owned: []CookieMask{{}}, OwnsMeter: AnyID, OwnsGroup: AnyID}
	ch := diff(&next.State, &cur.State, &all)
	written := map[of13.FlowKey]string{}

	// Flows this owner drops that another owner still holds are restored
	// to that owner's version rather than deleted.
	dels := ch.flowDels[:0]
	var restores []of13.Flow
	for _, f := range ch.flowDels {
		k := f.Key()
		others := c.otherHolders(k, owner)
		if len(others) == 0 {
			dels = append(dels, f)
			written[k] = ""
			continue
		}
		if w := c.writer[k]; w != owner && slices.Contains(others, w) {
			continue // the switch already holds the other owner's version
		}
		o := others[0]
		if of := c.committed[o].flow(k); !of.Equal(&f) {
			restores = append(restores, *of)
		}
		written[k] = o
	}
	ch.flowDels = dels
	// Flows another owner already installed identically need no message.
	adds := ch.flowAdds[:0]
	for _, f := range ch.flowAdds {
		k := f.Key()
		if w := c.writer[k]; w != "" && w != owner {
			if wf := c.committed[w].flow(k); wf != nil && wf.Equal(&f) {
				continue
			}
		}
		adds = append(adds, f)
		written[k] = owner
	}
	ch.flowAdds = append(adds, restores...)

	// Meters and groups shared with other owners: add becomes modify (or
	// nothing), and delete happens only when no one else holds or uses it.
	curMeters, curGroups := cur.uses()
	mods := ch.meterMods[:0]
	for _, m := range ch.meterMods {
		if m.Command == of13.ModAdd && c.meterUse[m.ID]-b2i(curMeters[m.ID]) > 0 {
			if o := c.meterHeldElsewhere(m.ID, owner); o != nil {
				if meterSame(o, &m.Meter) {
					continue
				}
				m.Command = of13.ModModify
			}
		}
		mods = append(mods, m)
	}
	ch.meterMods = mods
	ch.meterDels = slices.DeleteFunc(ch.meterDels, func(id uint32) bool {
		return c.meterUse[id]-b2i(curMeters[id]) > 0
	})
	gmods := ch.groupMods[:0]
	for _, g := range ch.groupMods {
		if g.Command == of13.ModAdd && c.groupUse[g.ID]-b2i(curGroups[g.ID]) > 0 {
			if o := c.groupHeldElsewhere(g.ID, owner); o != nil {
				if groupSame(o, &g.Group) {
					continue
				}
				g.Command = of13.ModModify
			}
		}
		gmods = append(gmods, g)
	}
	ch.groupMods = gmods
	ch.groupDels = slices.DeleteFunc(ch.groupDels, func(id uint32) bool {
		return c.groupUse[id]-b2i(curGroups[id]) > 0
	})

	c.pending[owner] = &pendingChange{next: next, written: written}
	return ch.plan()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// otherHolders returns the owners other than owner holding k, sorted.
func (c *Cache) otherHolders(k of13.FlowKey, owner string) []string {
	var out []string
	for _, o := range c.holders[k] {
		if o != owner {
			out = append(out, o)
		}
	}
	slices.Sort(out)
	return out
}

func (c *Cache) meterHeldElsewhere(id uint32, owner string) *of13.Meter {
	for o, st := range c.committed {
		if o == owner {
			continue
		}
		for i := range st.Meters {
			if st.Meters[i].ID == id {
				return &st.Meters[i]
			}
		}
	}
	return nil
}

func (c *Cache) groupHeldElsewhere(id uint32, owner string) *of13.Group {
	for o, st := range c.committed {
		if o == owner {
			continue
		}
		for i := range st.Groups {
			if st.Groups[i].ID == id {
				return &st.Groups[i]
			}
		}
	}
	return nil
}

// Commit records owner's pending plan as installed. Call it once the
// switch has confirmed the plan; it does nothing when nothing is pending.
func (c *Cache) Commit(owner string) {
	p, ok := c.pending[owner]
	if !ok {
		return
	}
	delete(c.pending, owner)
	old := c.current(owner)
	for k := range old.byKey {
		hs := slices.DeleteFunc(c.holders[k], func(o string) bool { return o == owner })
		if len(hs) == 0 {
			delete(c.holders, k)
		} else {
			c.holders[k] = hs
		}
	}
	for k := range p.next.byKey {
		c.holders[k] = append(c.holders[k], owner)
	}
	for k, w := range p.written {
		if w == "" {
			delete(c.writer, k)
		} else {
			c.writer[k] = w
		}
	}
	om, og := old.uses()
	nm, ng := p.next.uses()
	adjust(c.meterUse, om, -1)
	adjust(c.meterUse, nm, +1)
	adjust(c.groupUse, og, -1)
	adjust(c.groupUse, ng, +1)
	if len(p.next.Flows) == 0 && len(p.next.Meters) == 0 && len(p.next.Groups) == 0 {
		delete(c.committed, owner)
	} else {
		c.committed[owner] = p.next
	}
}

func adjust(count map[uint32]int, ids map[uint32]bool, d int) {
	for id := range ids {
		if count[id] += d; count[id] <= 0 {
			delete(count, id)
		}
	}
}

// Abort forgets owner's pending plan, after the switch rejected it or the
// connection dropped. The cache keeps the last committed state; the next
// reconnect replays All and diffs against what the switch reports.
func (c *Cache) Abort(owner string) { delete(c.pending, owner) }

// Pending reports whether owner has a plan awaiting Commit.
func (c *Cache) Pending(owner string) bool {
	_, ok := c.pending[owner]
	return ok
}

// Owners returns the owners with committed state, sorted.
func (c *Cache) Owners() []string {
	out := make([]string, 0, len(c.committed))
	for o := range c.committed {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}

// Get returns owner's committed state.
func (c *Cache) Get(owner string) State {
	o := c.current(owner)
	return State{Flows: slices.Clone(o.Flows), Meters: slices.Clone(o.Meters), Groups: slices.Clone(o.Groups)}
}

// All returns the committed state of every owner as one State, each flow
// key once in the version the switch holds: what to replay on reconnect,
// as Diff(cache.All(), dumped, opts).
func (c *Cache) All() State {
	var s State
	meters := map[uint32]bool{}
	groups := map[uint32]bool{}
	for _, owner := range c.Owners() {
		o := c.committed[owner]
		for i := range o.Flows {
			if c.writer[o.Flows[i].Key()] == owner {
				s.Flows = append(s.Flows, o.Flows[i])
			}
		}
		for _, m := range o.Meters {
			if !meters[m.ID] {
				meters[m.ID] = true
				s.Meters = append(s.Meters, m)
			}
		}
		for _, g := range o.Groups {
			if !groups[g.ID] {
				groups[g.ID] = true
				s.Groups = append(s.Groups, g)
			}
		}
	}
	return s
}
