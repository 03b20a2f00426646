package route

import (
	"net/netip"
	"slices"
)

// Source is where a route comes from. Lower sources win, like an
// administrative distance: a static route overrides the same prefix from
// BGP.
type Source uint8

// Route sources.
const (
	SourceStatic Source = iota + 1
	SourceBGP
	numSources // sources are 1 .. numSources-1, best first
)

// String implements fmt.Stringer.
func (s Source) String() string {
	switch s {
	case SourceStatic:
		return "static"
	case SourceBGP:
		return "bgp"
	}
	return "unknown"
}

// Route is a prefix reachable through a next hop.
type Route struct {
	Prefix  netip.Prefix
	NextHop netip.Addr
	Source  Source
}

// Connected is a subnet the datapath routes for: a VLAN's faucet_vips.
type Connected struct {
	Prefix netip.Prefix
	VID    uint16
	VIP    netip.Addr
}

// Entry is a FIB entry: packets to Prefix go to the neighbour MAC on VLAN
// VID.
type Entry struct {
	Prefix   netip.Prefix
	NextHop  netip.Addr
	Neighbor Neighbor
}

// RIB holds the routes of one datapath and picks the best per prefix.
type RIB struct {
	connected []Connected
	// routes holds each prefix's next hop per source; a fixed array, not
	// a map per prefix, keeps a full BGP table small.
	routes map[netip.Prefix]*[numSources]netip.Addr
	// byNextHop indexes the prefixes whose best route uses a next hop, so
	// a neighbour change touches only those.
	byNextHop map[netip.Addr]map[netip.Prefix]bool
}

// NewRIB returns a RIB for the datapath's connected subnets.
func NewRIB(connected []Connected) *RIB {
	return &RIB{
		connected: slices.Clone(connected),
		routes:    make(map[netip.Prefix]*[numSources]netip.Addr),
		byNextHop: make(map[netip.Addr]map[netip.Prefix]bool),
	}
}

// ConnectedFor returns the connected subnet holding ip, the most specific
// when several do.
func (r *RIB) ConnectedFor(ip netip.Addr) (Connected, bool) {
	best, ok := Connected{}, false
	for _, c := range r.connected {
		if c.Prefix.Contains(ip) && (!ok || c.Prefix.Bits() > best.Prefix.Bits()) {
			best, ok = c, true
		}
	}
	return best, ok
}

// Best returns the best route of a prefix.
func (r *RIB) Best(p netip.Prefix) (Route, bool) {
	srcs := r.routes[p]
	if srcs == nil {
		return Route{}, false
	}
	for s := SourceStatic; s < numSources; s++ {
		if nh := srcs[s]; nh.IsValid() {
			return Route{Prefix: p, NextHop: nh, Source: s}, true
		}
	}
	return Route{}, false
}

// Set adds or replaces a route. It reports the prefix's best route before
// and after, so the caller reprograms that one prefix only when it
// changed.
func (r *RIB) Set(rt Route) (before, after Route, changed bool) {
	rt.Prefix = rt.Prefix.Masked()
	before, _ = r.Best(rt.Prefix)
	if rt.Source == 0 || rt.Source >= numSources || !rt.NextHop.IsValid() {
		return before, before, false
	}
	if r.routes[rt.Prefix] == nil {
		r.routes[rt.Prefix] = new([numSources]netip.Addr)
	}
	r.routes[rt.Prefix][rt.Source] = rt.NextHop
	return r.settle(rt.Prefix, before)
}

// Delete removes the route of one source for a prefix.
func (r *RIB) Delete(p netip.Prefix, s Source) (before, after Route, changed bool) {
	p = p.Masked()
	before, _ = r.Best(p)
	if srcs := r.routes[p]; srcs != nil && s > 0 && s < numSources {
		srcs[s] = netip.Addr{}
		if *srcs == ([numSources]netip.Addr{}) {
			delete(r.routes, p)
		}
	}
	return r.settle(p, before)
}

func (r *RIB) settle(p netip.Prefix, before Route) (Route, Route, bool) {
	after, _ := r.Best(p)
	if before == after {
		return before, after, false
	}
	if before.NextHop.IsValid() {
		delete(r.byNextHop[before.NextHop], p)
		if len(r.byNextHop[before.NextHop]) == 0 {
			delete(r.byNextHop, before.NextHop)
		}
	}
	if after.NextHop.IsValid() {
		if r.byNextHop[after.NextHop] == nil {
			r.byNextHop[after.NextHop] = make(map[netip.Prefix]bool)
		}
		r.byNextHop[after.NextHop][p] = true
	}
	return before, after, true
}

// Using lists the prefixes whose best route goes through nh, sorted.
func (r *RIB) Using(nh netip.Addr) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(r.byNextHop[nh]))
	for p := range r.byNextHop[nh] {
		out = append(out, p)
	}
	slices.SortFunc(out, comparePrefix)
	return out
}

// NextHopUsed reports whether any best route uses nh.
func (r *RIB) NextHopUsed(nh netip.Addr) bool { return len(r.byNextHop[nh]) > 0 }

// Entry returns the FIB entry of a prefix when its best route's next hop
// is resolved.
func (r *RIB) Entry(p netip.Prefix, lookup func(netip.Addr) (Neighbor, bool)) (Entry, bool) {
	best, ok := r.Best(p)
	if !ok {
		return Entry{}, false
	}
	nb, ok := lookup(best.NextHop)
	if !ok {
		return Entry{}, false
	}
	return Entry{Prefix: p, NextHop: best.NextHop, Neighbor: nb}, true
}

// Routes lists every best route, sorted by prefix.
func (r *RIB) Routes() []Route {
	out := make([]Route, 0, len(r.routes))
	for p := range r.routes {
		if b, ok := r.Best(p); ok {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b Route) int { return comparePrefix(a.Prefix, b.Prefix) })
	return out
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
