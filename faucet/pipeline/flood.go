package pipeline

import (
	"fmt"
	"net"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// floodDst is one class of destination flooded within a VLAN
// (ValveSwitchManager.FLOOD_DSTS). unicast entries flood only when the
// VLAN has unicast_flood, and only to ports with unicast_flood.
type floodDst struct {
	unicast bool
	ethType uint16
	dst     net.HardwareAddr
	mask    net.HardwareAddr
}

var floodDsts = []floodDst{
	{unicast: true},
	{dst: macBridgeGroup, mask: macByteMask(3)},   // 802.x
	{dst: macIPv4Multicast, mask: macByteMask(3)}, // IPv4 multicast
	{dst: macIPv6Multicast, mask: macByteMask(2)}, // IPv6 multicast
	{dst: macBroadcast, mask: macByteMask(6)},     // broadcast
}

// restrictedFloodDsts are the only broadcasts ports with
// restricted_bcast_arpnd receive: ARP and IPv6 neighbour discovery.
var restrictedFloodDsts = []floodDst{
	{ethType: EthTypeARP, dst: macBroadcast, mask: macByteMask(6)},
	{ethType: EthTypeIPv6, dst: macIPv6NDMulticast, mask: macByteMask(3)},
	{ethType: EthTypeIPv6, dst: macIPv6AllRouters, mask: macByteMask(6)},
	{ethType: EthTypeIPv6, dst: macIPv6AllNodes, mask: macByteMask(6)},
}

// groupVLANOffset separates unicast flood groups from the others
// (valve_of.VLAN_GROUP_OFFSET).
const groupVLANOffset = 4096

func maskBits(m net.HardwareAddr) int {
	n := 0
	for _, b := range m {
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return n
}

// floodPriority: longer masks win, and Faucet adds the eth_type so the
// restricted ARP/ND entries sort above the general ones.
func floodPriority(d floodDst) uint16 {
	return priorityMatch + uint16(maskBits(d.mask)) + d.ethType
}

// floodFilters drop link-local control frames instead of flooding them:
// Cisco CDP/VTP/UDLD, Cisco PVST and the 802.1D bridge group range, which
// covers STP BPDUs and LLDP (ValveSwitchManager.initialise_tables).
func (c *compiler) floodFilters() {
	for _, d := range []floodDst{
		{dst: macCiscoCDP, mask: macByteMask(6)},
		{dst: macCiscoSpanning, mask: macByteMask(6)},
		{dst: macBridgeGroup, mask: maskBridgeGroup},
	} {
		c.e.add(OwnerDP, flowSpec{
			Table: TableFlood, Priority: floodPriority(d),
			Match: of13.NewMatch(of13.MaskedMACField(of13.FieldEthDst, d.dst, d.mask)),
		})
	}
}

func hasRestrictedPorts(dp *config.DP) bool {
	return slices.ContainsFunc(dp.Ports, func(p *config.Port) bool { return p.Enabled && p.RestrictedBcastARPND })
}

// floodPorts lists the VLAN's enabled tagged and untagged members, keeping
// only unicast_flood ports when exclUnicast.
func (c *compiler) floodPorts(nums []uint32, exclUnicast bool) []*config.Port {
	var out []*config.Port
	for _, n := range nums {
		p := c.vlanPort(n)
		if p == nil || exclUnicast && !p.UnicastFlood {
			continue
		}
		out = append(out, p)
	}
	return out
}

// floodActions outputs to the tagged members, then pops the tag and
// outputs to the untagged members (valve_of.flood_port_outputs). Each half
// is a sorted set of ports that includes the members' mirror ports, unless
// the ingress port mirrors to the same ports (its input copy suffices). The
// ingress port gets nothing, or an IN_PORT output if it hairpins; excluded
// ports get nothing.
func (c *compiler) floodActions(v *config.VLAN, exclUnicast bool, in uint32, exclRestricted bool) []of13.Action {
	var inMirror []uint32
	inPort := c.ports[in]
	lagExcl := c.lagExcluded(v, in)
	if inPort != nil {
		inMirror = sortedPorts(inPort.MirroredTo)
	}
	half := func(nums []uint32) []uint32 {
		var out []uint32
		for _, p := range c.floodPorts(nums, exclUnicast) {
			switch {
			case p.Number == in:
				if p.Hairpin {
					out = append(out, of13.PortInPort)
				}
				continue
			case exclRestricted && p.RestrictedBcastARPND, lagExcl[p.Number]:
				continue
			}
			out = append(out, p.Number)
			if inPort == nil || !slices.Equal(inMirror, sortedPorts(p.MirroredTo)) {
				out = append(out, p.MirroredTo...)
			}
		}
		return sortedPorts(out)
	}
	tagged, untagged := half(v.Tagged), half(v.Untagged)
	acts := make([]of13.Action, 0, len(tagged)+len(untagged)+1)
	for _, n := range tagged {
		acts = append(acts, of13.Output(n))
	}
	if len(untagged) > 0 {
		acts = append(acts, of13.PopVLAN())
		for _, n := range untagged {
			acts = append(acts, of13.Output(n))
		}
	}
	if sv := c.stackView(); sv != nil {
		return c.stackFloodActions(sv, in, acts)
	}
	return acts
}

// sortedPorts returns the distinct ports of ps in ascending order.
func sortedPorts(ps []uint32) []uint32 {
	if len(ps) < 2 {
		return ps
	}
	out := slices.Clone(ps)
	slices.Sort(out)
	return slices.Compact(out)
}

// needsPortFlood reports whether some port of the VLAN may flood
// differently from the VLAN flow minus itself: restricted broadcast,
// hairpin, mirroring, LAGs, or combinatorial_port_flood.
func (c *compiler) needsPortFlood(v *config.VLAN) bool {
	if c.restricted || c.dp.CombinatorialPortFlood || c.vlanHasLAG(v) {
		return true
	}
	for _, n := range v.Ports() {
		if p := c.ports[n]; p != nil && (p.Hairpin || len(p.MirroredTo) > 0) {
			return true
		}
	}
	return false
}

// floodFlows compiles a VLAN's flood table: one flow per flood
// destination for the whole VLAN (or one group per VLAN with group_table),
// plus per-port flows where a port's flood set is not simply the VLAN's
// minus itself (restricted_bcast_arpnd), or for every port with
// combinatorial_port_flood.
func (c *compiler) floodFlows(v *config.VLAN) error {
	owner := VLANOwner(v.VID)
	dsts := floodDsts
	if c.restricted {
		dsts = append(slices.Clone(floodDsts), restrictedFloodDsts...)
	}
	perPort := c.needsPortFlood(v)
	c.stackFilters(v, dsts)
	groups := map[bool]uint32{}
	// Stacked DPs flood with flows: the stack outputs depend on the
	// ingress port, and Faucet's flood groups do not include them.
	if c.dp.GroupTable && c.stackView() == nil {
		var err error
		if groups, err = c.floodGroups(v); err != nil {
			return fmt.Errorf("vlan %d: %w", v.VID, err)
		}
	}
	for _, d := range dsts {
		if d.unicast && !v.UnicastFlood {
			continue
		}
		prio := floodPriority(d)
		m := of13.NewMatch(of13.VlanVID(v.VID))
		if d.dst != nil {
			m = m.With(of13.MaskedMACField(of13.FieldEthDst, d.dst, d.mask))
		}
		if d.ethType != 0 {
			m = m.With(of13.EthType(d.ethType))
		}
		vlanActs := c.floodActions(v, d.unicast, 0, true)
		c.stackFloodFlows(v, d, m, prio)
		if gid, ok := groups[d.unicast]; ok {
			c.e.add(owner, flowSpec{Table: TableFlood, Priority: prio, Match: m,
				Apply: []of13.Action{of13.GroupAction(gid)}})
		} else {
			c.e.add(owner, flowSpec{Table: TableFlood, Priority: prio, Match: m, Apply: vlanActs})
		}
		if !perPort {
			// Every port's flood set is the VLAN's minus itself, which
			// the VLAN flow already does.
			continue
		}
		for _, p := range c.floodPorts(v.Ports(), d.unicast) {
			if p.Stack != nil {
				continue
			}
			portActs := c.floodActions(v, d.unicast, p.Number, d.ethType == 0 && p.RestrictedBcastARPND)
			if !c.dp.CombinatorialPortFlood && sameFlood(vlanActs, portActs, p.Number) {
				continue
			}
			c.e.add(owner, flowSpec{Table: TableFlood, Priority: prio + 1,
				Match: m.With(of13.InPort(p.Number)), Apply: portActs})
		}
	}
	return nil
}

// sameFlood reports whether a port's flood actions do what the VLAN flow
// does for a packet from that port (the switch never outputs to the
// ingress port).
func sameFlood(vlanActs, portActs []of13.Action, in uint32) bool {
	var a []of13.Action
	for _, x := range vlanActs {
		if !(x.Type == of13.ActionOutput && x.Port == in) {
			a = append(a, x)
		}
	}
	a, b := trimActions(a), trimActions(portActs)
	return slices.Equal(a, b)
}

// floodGroups builds the VLAN's flood group(s) (group_table: true): one
// bucket per member, popping the tag for untagged members. Unicast
// flooding gets its own group only when its member set differs.
func (c *compiler) floodGroups(v *config.VLAN) (map[bool]uint32, error) {
	bucketsOf := func(acts []of13.Action) []of13.Bucket {
		var out []of13.Bucket
		var pre []of13.Action
		for _, a := range acts {
			if a.Type == of13.ActionOutput {
				out = append(out, of13.Bucket{WatchPort: of13.PortAny, WatchGroup: of13.GroupAny,
					Actions: append(cloneActions(pre), a)})
			} else {
				pre = append(pre, a)
			}
		}
		return out
	}
	all := c.floodActions(v, false, 0, true)
	gid := uint32(v.VID)
	if err := c.addGroup(of13.Group{ID: gid, Type: of13.GroupTypeAll, Buckets: bucketsOf(all)}); err != nil {
		return nil, err
	}
	out := map[bool]uint32{false: gid, true: gid}
	uni := c.floodActions(v, true, 0, true)
	if !slices.Equal(all, uni) {
		ugid := gid + groupVLANOffset
		if err := c.addGroup(of13.Group{ID: ugid, Type: of13.GroupTypeAll, Buckets: bucketsOf(uni)}); err != nil {
			return nil, err
		}
		out[true] = ugid
	}
	return out, nil
}

// addGroup records a group; two different groups with one ID (a failover
// group_id equal to a VLAN's flood group) are an error.
func (c *compiler) addGroup(g of13.Group) error {
	if old, ok := c.groups[g.ID]; ok && !old.Equal(&g) {
		return fmt.Errorf("group %d is used twice (VLAN flood groups use the VID and VID+4096)", g.ID)
	}
	c.groups[g.ID] = g
	return nil
}
