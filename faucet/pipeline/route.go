package pipeline

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// FIBEntry is one resolved route: packets to Prefix leave on VLAN VID
// towards the neighbour MAC. Host routes to resolved neighbours (/32,
// /128) and static or BGP prefixes whose next hop is resolved are both
// FIB entries; controller/route decides which exist.
//
// An entry without a MAC is a host being resolved: its packets are
// dropped meanwhile instead of each being sent to the controller, as
// Faucet's proactive learning does.
type FIBEntry struct {
	Prefix netip.Prefix
	VID    uint16
	MAC    net.HardwareAddr
}

// RouteOwner is the owner key of one prefix's FIB flows, so a best-path
// change rewrites that prefix alone.
func RouteOwner(p netip.Prefix) string { return "route:" + p.Masked().String() }

// SetRoute records e in the learned state (Compile re-emits it, so a
// reload keeps the FIB) and returns its owner and flows. The flows are
// empty when the route cannot be programmed on dp (its VLAN has no VIP of
// the prefix's family, or the prefix is a connected subnet).
func (l *Learned) SetRoute(dp *config.DP, e FIBEntry) (OwnerFlows, error) {
	e.Prefix = e.Prefix.Masked()
	if !e.Prefix.IsValid() || (len(e.MAC) != 6 && len(e.MAC) != 0) {
		return OwnerFlows{}, fmt.Errorf("dp %s: route %v: invalid prefix or MAC", dp.Name, e.Prefix)
	}
	if l.routes == nil {
		l.routes = map[netip.Prefix]FIBEntry{}
	}
	e.MAC = slices.Clone(e.MAC)
	l.routes[e.Prefix] = e
	c, err := l.compilerFor(dp)
	if err != nil {
		return OwnerFlows{}, err
	}
	owner := RouteOwner(e.Prefix)
	c.routeFlows1(owner, e)
	fs, err := c.ownerFlows(owner)
	if err != nil {
		return OwnerFlows{}, fmt.Errorf("dp %s: %w", dp.Name, err)
	}
	return OwnerFlows{Owner: owner, Flows: fs}, nil
}

// DeleteRoute forgets p's FIB entry and returns the owner whose flows to
// delete (ok is false when there was none).
func (l *Learned) DeleteRoute(p netip.Prefix) (owner string, ok bool) {
	p = p.Masked()
	if _, ok := l.routes[p]; !ok {
		return "", false
	}
	delete(l.routes, p)
	return RouteOwner(p), true
}

// Routes lists the FIB entries, sorted by prefix.
func (l *Learned) Routes() []FIBEntry {
	out := make([]FIBEntry, 0, len(l.routes))
	for _, e := range l.routes {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b FIBEntry) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits())
	})
	return out
}

// routeFlows compiles every FIB entry.
func (c *compiler) routeFlows() error {
	for p, e := range c.learned.routes {
		c.routeFlows1(RouteOwner(p), e)
	}
	return nil
}

// routeFlows1 compiles one FIB entry, after Faucet's _add_resolved_route:
// on every VLAN routed with the egress VLAN, packets to the prefix get a
// decremented TTL, the egress VLAN (when routers join VLANs), the Faucet
// MAC as source and the neighbour as destination, then are switched.
// The priority grows with the prefix length, so the longest prefix wins.
func (c *compiler) routeFlows1(owner string, e FIBEntry) {
	v := c.vlans[e.VID]
	if v == nil || len(v.FaucetMAC) != 6 {
		return
	}
	v4 := e.Prefix.Addr().Is4()
	fib, ethType, dst := TableIPv6FIB, EthTypeIPv6, of13.FieldIPv6Dst
	if v4 {
		fib, ethType, dst = TableIPv4FIB, EthTypeIPv4, of13.FieldIPv4Dst
	}
	if !c.tables.Has(fib) || !hasVIPFamily(v, v4) {
		return
	}
	var acts []of13.Action
	next := c.outputTable()
	if len(e.MAC) == 0 {
		next = "" // being resolved: drop
	} else {
		// Faucet's order (_nexthop_actions): dec_ttl, the egress VLAN
		// when routers join VLANs, then the MACs.
		if decTTL(c.dp.Hardware) {
			acts = append(acts, of13.DecNwTTL())
		}
		if len(c.dp.Routers) > 0 {
			acts = append(acts, of13.SetVlanVID(e.VID))
		}
		acts = append(acts, of13.SetField(of13.EthSrc(v.FaucetMAC)), of13.SetField(of13.EthDst(e.MAC)))
	}
	if slices.ContainsFunc(c.dp.VLANs, func(x *config.VLAN) bool { return isConnected(x, e.Prefix) }) {
		// The connected subnet's own flow (vip.go) has this match and
		// priority; a route cannot replace it.
		return
	}
	shared := false
	// Every routed VLAN gets the flow, whatever its VIPs (Faucet's
	// _add_resolved_route): one without a VIP of this family never sends
	// packets to this FIB, so the flow is inert there.
	for _, r := range routedVLANs(c.dp, v) {
		// Flows never change their actions in place: the first flow
		// takes acts itself, which saves a copy per route on one VLAN.
		a := acts
		if shared {
			a = cloneActions(acts)
		}
		shared = true
		c.e.add(owner, flowSpec{
			Table: fib, Priority: priorityLPM + uint16(e.Prefix.Bits()),
			Match: of13.NewMatch(of13.EthType(ethType), of13.VlanVID(r.VID), of13.PrefixField(dst, e.Prefix)),
			Apply: a,
			Goto:  next,
		})
	}
}

// isConnected reports whether p is the subnet or the address of one of v's
// VIPs.
func isConnected(v *config.VLAN, p netip.Prefix) bool {
	for _, vip := range v.FaucetVIPs {
		if vip.Masked() == p || (p.IsSingleIP() && p.Addr() == vip.Addr()) {
			return true
		}
	}
	return false
}

// decTTL says whether routed packets get dec_ttl on this hardware: Faucet's
// valve classes for Aruba and Allied-Telesis (valve.py) set DEC_TTL =
// False, and their route managers then leave it out.
func decTTL(hardware string) bool {
	return hardware != "Aruba" && hardware != "Allied-Telesis"
}
