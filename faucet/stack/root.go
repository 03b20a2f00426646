package stack

import (
	"cmp"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// State is the stack's dynamic state: which stack ports LLDP has verified
// UP and which DPs are running.
type State struct {
	// Up holds the stack ports in state UP (the peer's LLDP names the
	// configured DP and port, and arrives in time).
	Up map[End]bool
	// Live holds the DPs whose switch is connected.
	Live map[string]bool
}

// LinkUp reports whether a link carries traffic: both its ends are UP.
// Faucet adds and removes a link's edge from either end's state changes;
// requiring both ends is the steady state of that (a one-way failure takes
// one end GONE, and with it the edge).
func (s State) LinkUp(l Link) bool { return s.Up[l.A] && s.Up[l.Z] }

// health is Stack.dyn_healthy_info and dyn_healthy for one DP.
type health struct {
	live    bool
	pct     float64
	healthy bool
}

func (t *Topology) health(d *config.DP, s State) health {
	ports := t.ports[d.Name]
	up := 0
	for _, p := range ports {
		if s.Up[End{d.Name, p}] {
			up++
		}
	}
	pct := 1.0
	if len(ports) > 0 {
		pct = float64(up) / float64(len(ports))
	}
	h := health{live: s.Live[d.Name], pct: pct}
	h.healthy = h.live && pct >= d.Stack.MinStackHealth
	return h
}

// ElectRoot chooses the stack root as ValveStackManager.nominate_stack_root
// does: among the root candidates (DPs with a stack priority) that are
// healthy (running, and at least min_stack_health of their stack ports
// UP), the current root stays root; otherwise the candidate with the most
// stack ports up, then the lowest priority value, then the lowest dp_id.
// With no healthy candidate the same rule runs over the running ones. With
// none running the current root is kept. current may be "".
func (t *Topology) ElectRoot(current string, s State) string {
	var healthy, running []*config.DP
	hs := map[string]health{}
	for _, d := range t.candidates() {
		h := t.health(d, s)
		hs[d.Name] = h
		switch {
		case h.healthy:
			healthy = append(healthy, d)
		case h.live:
			running = append(running, d)
		}
	}
	pick := func(ds []*config.DP) string {
		if slices.ContainsFunc(ds, func(d *config.DP) bool { return d.Name == current }) {
			return current
		}
		slices.SortStableFunc(ds, func(a, b *config.DP) int {
			if c := cmp.Compare(hs[b.Name].pct, hs[a.Name].pct); c != 0 {
				return c
			}
			if c := cmp.Compare(a.Stack.Priority, b.Stack.Priority); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		return ds[0].Name
	}
	switch {
	case len(healthy) > 0:
		return pick(healthy)
	case len(running) > 0:
		return pick(running)
	case current != "":
		return current
	}
	return t.ConfigRoot()
}
