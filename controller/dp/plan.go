package dp

import (
	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Phases of a batch, in the order the reconciler's plans use them: a
// barrier separates consecutive non-empty phases.
const (
	phaseFlowDeletes = iota // strict deletes of flows no longer wanted
	phaseWrites             // meter and group adds and modifies
	phaseFlowAdds           // flow adds (new and changed flows)
	phaseDeletes            // meter and group deletes
	numPhases
)

// batch merges the plans of several owners (and raw messages) into one
// change: their messages are grouped by phase, phases kept apart by
// in-band barriers, and the owners are committed to the cache together
// once the switch has confirmed the batch.
type batch struct {
	phases [numPhases][]of13.Message
	// owners are the cache owners with a pending plan in the batch,
	// committed once the switch confirms it.
	owners map[string]bool
	// touched are the learned hosts whose flows the batch changes.
	touched map[string]bool
}

func (b *batch) empty() bool {
	for _, ph := range b.phases {
		if len(ph) > 0 {
			return false
		}
	}
	return true
}

// has reports whether the batch already changes owner's flows.
func (b *batch) has(owner string) bool { return b.owners[owner] || b.touched[owner] }

// touch records that the batch changes a learned host's flows.
func (b *batch) touch(owner string) {
	if b.touched == nil {
		b.touched = map[string]bool{}
	}
	b.touched[owner] = true
}

// set adds owner's plan from the cache.
func (b *batch) set(c *controller.Cache, owner string, flows []of13.Flow) {
	b.addPlan(owner, c.Set(owner, flows))
}

// setState adds owner's plan for a full state (flows, meters, groups).
func (b *batch) setState(c *controller.Cache, owner string, s controller.State) {
	b.addPlan(owner, c.SetState(owner, s))
}

func (b *batch) addPlan(owner string, p controller.Plan) {
	if b.owners == nil {
		b.owners = map[string]bool{}
	}
	b.owners[owner] = true
	for _, ph := range p.Phases {
		for _, m := range ph {
			b.add(m)
		}
	}
}

// add files one message under its phase.
func (b *batch) add(m of13.Message) {
	b.phases[phaseOf(m)] = append(b.phases[phaseOf(m)], m)
}

func phaseOf(m of13.Message) int {
	switch m := m.(type) {
	case of13.FlowMod:
		if m.Command == of13.FlowDelete || m.Command == of13.FlowDeleteStrict {
			return phaseFlowDeletes
		}
		return phaseFlowAdds
	case of13.MeterMod:
		if m.Command == of13.ModDelete {
			return phaseDeletes
		}
	case of13.GroupMod:
		if m.Command == of13.ModDelete {
			return phaseDeletes
		}
	}
	return phaseWrites
}

// counts reports the flow adds and deletes in the batch.
func (b *batch) counts() (adds, dels int) {
	return len(b.phases[phaseFlowAdds]), len(b.phases[phaseFlowDeletes])
}

// plan is the batch as a reconciler plan, phases in order.
func (b *batch) plan() controller.Plan {
	var p controller.Plan
	for _, ph := range b.phases {
		if len(ph) > 0 {
			p.Phases = append(p.Phases, ph)
		}
	}
	return p
}

// change is the batch as one change for the group commit (changeOf).
func (b *batch) change() Change { return changeOf(b.plan()) }

// changeOf turns a reconciler plan into one change for the group commit:
// its phases in order, each behind an in-band barrier request
// (of13.BarrierRequest), so the switch finishes one phase before it
// starts the next. A plan of flow-mods only (learned hosts) may share a
// barrier with other stores' changes; one that adds, modifies or deletes
// meters or groups goes in a group of its own, because a retry of a
// merged group would add its groups twice.
func changeOf(p controller.Plan) Change {
	if len(p.Phases) == 1 { // most learning batches: no copy
		c := Change{Flows: p.Phases[0]}
		for _, m := range c.Flows {
			if _, ok := m.(of13.FlowMod); !ok {
				c.Alone = true
			}
		}
		return c
	}
	n := len(p.Phases)
	for _, ph := range p.Phases {
		n += len(ph)
	}
	c := Change{Flows: make([]of13.Message, 0, n)}
	for i, ph := range p.Phases {
		if i > 0 {
			c.Flows = append(c.Flows, of13.BarrierRequest{})
		}
		for _, m := range ph {
			if _, ok := m.(of13.FlowMod); !ok {
				c.Alone = true
			}
		}
		c.Flows = append(c.Flows, ph...)
	}
	return c
}
