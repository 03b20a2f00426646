package pipeline

import (
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/stack"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Stacking (faucet/valve_switch_stack.py). Stack ports carry every VLAN of
// the DP, tagged, and belong to no VLAN's member lists; the DP's stack view
// (package stack, set by the runtime with SetStack) says which of them lead
// towards the root and which away, and the flood flows follow that tree.
// Without a view (no stacking, or before the runtime has one) a stack port
// takes no part in forwarding: its link is not up.

// stackFilterPriority is where pruned stack ports' broadcasts are dropped
// in eth_src: Faucet's filter priority plus the classification offset
// (0x100) less the distance between filter and select priorities
// (_build_mask_flood_rules_filters' replace_priority_offset).
const stackFilterPriority = priorityFilter + 0x100 - (priorityFilter - priorityHigh)

// Stack returns the stack view Compile uses, nil without one.
func (l *Learned) Stack() *stack.View { return l.stack }

// SetStack sets the DP's stack view. The caller recompiles: a new tree
// changes the flood flows of every VLAN.
func (l *Learned) SetStack(v *stack.View) { l.stack = v }

// stackView returns the view when dp has stack ports.
func (c *compiler) stackView() *stack.View {
	if c.learned == nil || c.learned.stack == nil || c.learned.stack.DP != c.dp.Name {
		return nil
	}
	return c.learned.stack
}

// isStackPort reports whether port n is an enabled stack port.
func (c *compiler) isStackPort(n uint32) bool {
	p := c.ports[n]
	return p != nil && p.Stack != nil && p.Enabled
}

// carries reports whether port n carries VLAN v: a member, or a stack port.
func (c *compiler) carries(v *config.VLAN, n uint32) bool {
	return slices.Contains(v.Untagged, n) || slices.Contains(v.Tagged, n) || c.isStackPort(n)
}

// stackPortFlows are a stack port's vlan table flows
// (ValveSwitchStackManagerBase.add_port): untagged frames are dropped, and
// tagged ones, from another DP of the stack, go straight to classification
// (eth_src), past the VLAN ACLs the ingress DP already applied.
func (c *compiler) stackPortFlows(p *config.Port) {
	if p.Stack == nil {
		return
	}
	owner := PortOwner(p.Number)
	low := priorityLow // the switch manager's own low priority, not the DP's
	c.e.add(owner, flowSpec{
		Table: TableVLAN, Priority: low + 1,
		Match: of13.NewMatch(of13.InPort(p.Number), of13.VlanNone()),
	})
	if !c.tables.Has(TableVoIP) {
		c.e.add(owner, flowSpec{
			Table: TableVLAN, Priority: low,
			Match: of13.NewMatch(of13.InPort(p.Number)),
			Goto:  TableEthSrc,
		})
		return
	}
	// With the voip table, stack traffic passes through it too, so the
	// voice policy's trust flows can queue its EF; then it goes on to
	// eth_src as in Faucet.
	c.e.add(owner, flowSpec{
		Table: TableVLAN, Priority: low,
		Match: of13.NewMatch(of13.InPort(p.Number)),
		Goto:  TableVoIP,
	})
	c.e.add(owner, flowSpec{
		Table: TableVoIP, Priority: low + 1, // above the VLANs' continue flows
		Match: of13.NewMatch(of13.InPort(p.Number)),
		Goto:  TableEthSrc,
	})
}

// stackOutputs outputs to ports, tagged, skipping in and excluded ports
// (valve_of.flood_tagged_port_outputs; stack ports neither hairpin nor
// mirror).
func stackOutputs(ports []uint32, in uint32, excl []uint32) []of13.Action {
	var out []of13.Action
	for _, p := range ports {
		if p == in || slices.Contains(excl, p) {
			continue
		}
		out = append(out, of13.Output(p))
	}
	return out
}

// stackFloodActions wraps a flood's local actions with the stack outputs
// for a packet from port in (0: the VLAN-wide flow), as
// _build_flood_rule_actions and the two _flood_actions do. Towards-root
// outputs go to the chosen towards ports; away outputs skip inactive away
// ports and every port to the DP the packet came from.
func (c *compiler) stackFloodActions(v *stack.View, in uint32, local []of13.Action) []of13.Action {
	excl := slices.Clone(v.InactiveAway)
	fromStack := c.isStackPort(in)
	if fromStack {
		peer := v.PeerDP(in)
		for _, p := range v.Ports {
			if v.PeerDP(p) == peer {
				excl = append(excl, p)
			}
		}
	}
	away := stackOutputs(v.Away, in, excl)
	toward := stackOutputs(v.Chosen, in, nil)
	cat := func(parts ...[]of13.Action) []of13.Action {
		var out []of13.Action
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	if !v.Reflection {
		// ValveSwitchStackManagerNoReflection: towards, away, local.
		return cat(toward, away, local)
	}
	// ValveSwitchStackManagerReflection.
	if v.IsRoot() {
		if fromStack && v.IsAway(in) {
			return cat(away, []of13.Action{of13.Output(of13.PortInPort)}, local)
		}
		return cat(away, local)
	}
	if fromStack && v.IsTowards(in) {
		return cat(away, local)
	}
	return toward
}

// stackFloodFlows are a VLAN's per-stack-port flood flows for one flood
// destination (_build_mask_flood_rules): a pruned port's broadcasts are
// flooded nowhere; unicast floods are never pruned (a reply may come from
// a directly connected DP).
func (c *compiler) stackFloodFlows(v *config.VLAN, d floodDst, m of13.Match, prio uint16) {
	sv := c.stackView()
	if sv == nil {
		return
	}
	owner := VLANOwner(v.VID)
	for _, n := range sv.Ports {
		if !c.isStackPort(n) {
			continue
		}
		var acts []of13.Action
		if d.dst == nil || !sv.Pruned(n) {
			acts = c.floodActions(v, d.unicast, n, false)
		}
		c.e.add(owner, flowSpec{Table: TableFlood, Priority: prio + 1,
			Match: m.With(of13.InPort(n)), Apply: acts})
	}
}

// stackFilters are a VLAN's eth_src filters for stack ports
// (_build_mask_flood_rules_filters): broadcasts from a pruned port are
// dropped before learning. With reflection, a non-root DP sends broadcasts
// arriving from the root (or any, at an edge DP) straight to flood, so a
// reflected copy of a local host's frame does not move the host.
func (c *compiler) stackFilters(v *config.VLAN, dsts []floodDst) {
	sv := c.stackView()
	if sv == nil {
		return
	}
	owner := VLANOwner(v.VID)
	seen := map[string]bool{}
	for _, d := range dsts {
		if d.dst == nil {
			continue
		}
		key := d.dst.String() + "/" + d.mask.String()
		if seen[key] {
			continue // the restricted ARP/ND entries repeat a MAC with an eth_type
		}
		seen[key] = true
		for _, n := range sv.Ports {
			if !c.isStackPort(n) {
				continue
			}
			m := of13.NewMatch(of13.InPort(n), of13.VlanVID(v.VID),
				of13.MaskedMACField(of13.FieldEthDst, d.dst, d.mask))
			switch {
			case sv.Pruned(n):
				c.e.add(owner, flowSpec{Table: TableEthSrc, Priority: stackFilterPriority, Match: m})
			case sv.Reflection && !sv.IsRoot() && (sv.Edge || sv.IsTowards(n)):
				c.e.add(owner, flowSpec{Table: TableEthSrc, Priority: priorityHigh + 0x100, Match: m, Goto: TableFlood})
			}
		}
	}
}
