package route

import (
	"net"
	"net/netip"
	"slices"
	"time"
)

// Neighbor is a resolved IP-to-MAC binding on a VLAN.
type Neighbor struct {
	IP   netip.Addr
	MAC  net.HardwareAddr
	VID  uint16
	Port uint32
	// Seen is when the binding was last confirmed.
	Seen time.Time
}

// Probe asks the caller to send an ARP request (IPv4) or a neighbour
// solicitation (IPv6) for IP on VLAN VID.
type Probe struct {
	IP  netip.Addr
	VID uint16
	// Attempt counts from 1.
	Attempt int
}

// Backoff configures probe timing.
type Backoff struct {
	// First is the wait after the first probe; each unanswered probe
	// doubles it up to Max.
	First, Max time.Duration
	// Expire is how long a resolved binding lives without confirmation
	// before it is probed again (Faucet's arp_neighbor_timeout).
	Expire time.Duration
	// Budget caps the probes one Due call returns, oldest first.
	Budget int
}

// DefaultBackoff matches Faucet's defaults closely: probes after 1, 2, 4 ...
// seconds up to a minute, neighbours refreshed every 30 s.
func DefaultBackoff() Backoff {
	return Backoff{First: time.Second, Max: time.Minute, Expire: 30 * time.Second, Budget: 64}
}

type entry struct {
	nb       Neighbor
	resolved bool
	attempts int
	next     time.Time // when to probe next
	wanted   bool      // a route or a pending packet needs it
}

// Resolver tracks the neighbours a datapath needs resolved.
type Resolver struct {
	bo      Backoff
	entries map[netip.Addr]*entry
}

// NewResolver returns an empty resolver.
func NewResolver(bo Backoff) *Resolver {
	return &Resolver{bo: bo, entries: make(map[netip.Addr]*entry)}
}

// Want registers ip (on VLAN vid) as needed, for a route's next hop or a
// packet to a host in a connected subnet. The first probe is due at once.
func (r *Resolver) Want(ip netip.Addr, vid uint16, now time.Time) {
	e := r.entries[ip]
	if e == nil {
		e = &entry{nb: Neighbor{IP: ip, VID: vid}, next: now}
		r.entries[ip] = e
	}
	e.wanted = true
	e.nb.VID = vid
}

// Unwant drops ip unless it is resolved; a resolved neighbour stays as a
// host route until it expires.
func (r *Resolver) Unwant(ip netip.Addr) {
	if e := r.entries[ip]; e != nil {
		e.wanted = false
		if !e.resolved {
			delete(r.entries, ip)
		}
	}
}

// Learned records a binding seen in an ARP/ND packet or a routed packet's
// source. It reports whether the binding is new or changed, in which case
// the caller reprograms the host's and its routes' FIB entries.
func (r *Resolver) Learned(nb Neighbor, now time.Time) (changed bool) {
	e := r.entries[nb.IP]
	if e == nil {
		e = &entry{}
		r.entries[nb.IP] = e
	}
	changed = !e.resolved || !slices.Equal(e.nb.MAC, nb.MAC) || e.nb.VID != nb.VID || e.nb.Port != nb.Port
	nb.Seen = now
	e.nb = nb
	e.resolved, e.attempts = true, 0
	e.next = now.Add(r.bo.Expire)
	return changed
}

// Lookup returns the binding of ip, if resolved.
func (r *Resolver) Lookup(ip netip.Addr) (Neighbor, bool) {
	e := r.entries[ip]
	if e == nil || !e.resolved {
		return Neighbor{}, false
	}
	return e.nb, true
}

// Due returns the probes to send now, at most Budget, those waiting longest
// first, and schedules each entry's next probe with backoff. Resolved
// neighbours past their expiry are probed to refresh them; one that stays
// silent for a further backoff period is forgotten and reported in gone.
func (r *Resolver) Due(now time.Time) (probes []Probe, gone []netip.Addr) {
	type due struct {
		ip netip.Addr
		at time.Time
	}
	var ds []due
	for ip, e := range r.entries {
		if !e.next.After(now) {
			ds = append(ds, due{ip, e.next})
		}
	}
	slices.SortFunc(ds, func(a, b due) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.ip.Compare(b.ip)
	})
	for _, d := range ds {
		e := r.entries[d.ip]
		if e.resolved && e.attempts >= 3 {
			// Refresh probes went unanswered: the neighbour is gone.
			gone = append(gone, d.ip)
			if e.wanted {
				e.resolved, e.attempts = false, 0
				e.nb.MAC = nil
				e.next = now
			} else {
				delete(r.entries, d.ip)
			}
			continue
		}
		if len(probes) >= r.bo.Budget {
			continue // stays due; next call gets it
		}
		e.attempts++
		probes = append(probes, Probe{IP: d.ip, VID: e.nb.VID, Attempt: e.attempts})
		e.next = now.Add(r.wait(e))
	}
	return probes, gone
}

func (r *Resolver) wait(e *entry) time.Duration {
	if e.resolved {
		return r.bo.First
	}
	w := r.bo.First
	for i := 1; i < e.attempts && w < r.bo.Max; i++ {
		w *= 2
	}
	return min(w, r.bo.Max)
}

// Pending lists wanted neighbours not yet resolved, for metrics and logs.
func (r *Resolver) Pending() []Probe {
	var out []Probe
	for ip, e := range r.entries {
		if e.wanted && !e.resolved {
			out = append(out, Probe{IP: ip, VID: e.nb.VID, Attempt: e.attempts})
		}
	}
	slices.SortFunc(out, func(a, b Probe) int { return a.IP.Compare(b.IP) })
	return out
}

// Neighbors lists the resolved bindings.
func (r *Resolver) Neighbors() []Neighbor {
	var out []Neighbor
	for _, e := range r.entries {
		if e.resolved {
			out = append(out, e.nb)
		}
	}
	slices.SortFunc(out, func(a, b Neighbor) int { return a.IP.Compare(b.IP) })
	return out
}
