package stack

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// End is one end of a stack link: a DP and one of its stack ports.
type End struct {
	DP   string
	Port uint32
}

func (e End) String() string { return fmt.Sprintf("%s:%d", e.DP, e.Port) }

func compareEnd(a, b End) int {
	if c := cmp.Compare(a.DP, b.DP); c != 0 {
		return c
	}
	return cmp.Compare(a.Port, b.Port)
}

// Link is a stack link, its ends in canonical order (A sorts first), as
// Stack.modify_topology names it.
type Link struct{ A, Z End }

func (l Link) String() string { return l.A.String() + "-" + l.Z.String() }

// Topology is the static stack of a configuration: its DPs, their stack
// ports and peers, and the links.
type Topology struct {
	// DPs are the DPs with stack ports, by name.
	DPs   map[string]*config.DP
	names []string
	// Links are every configured link, sorted.
	Links []Link
	peer  map[End]End
	// ports are each DP's stack ports in port order.
	ports map[string][]uint32
	// Reflection is Faucet's root_flood_reflection: set when some DP is
	// more than one hop from the root over the full topology, so
	// non-root DPs flood only towards the root and the root reflects
	// floods back (ValveSwitchStackManagerReflection).
	Reflection bool
}

// New returns cfg's stack topology, or nil when no DP has stack ports. cfg
// is assumed validated (links declared both ways, a root candidate).
func New(cfg *config.Config) *Topology {
	t := &Topology{DPs: map[string]*config.DP{}, peer: map[End]End{}, ports: map[string][]uint32{}}
	seen := map[Link]bool{}
	for _, d := range cfg.DPs {
		for _, p := range d.Ports {
			if p.Stack == nil || p.Stack.Port == 0 || cfg.DP(p.Stack.DP) == nil {
				continue
			}
			t.DPs[d.Name] = d
			a, z := End{d.Name, p.Number}, End{p.Stack.DP, p.Stack.Port}
			t.peer[a] = z
			t.ports[d.Name] = append(t.ports[d.Name], p.Number)
			l := Link{a, z}
			if compareEnd(z, a) < 0 {
				l = Link{z, a}
			}
			if !seen[l] {
				seen[l] = true
				t.Links = append(t.Links, l)
			}
		}
	}
	if len(t.DPs) == 0 {
		return nil
	}
	for n := range t.DPs {
		t.names = append(t.names, n)
		slices.Sort(t.ports[n])
	}
	slices.Sort(t.names)
	slices.SortFunc(t.Links, func(a, b Link) int {
		if c := compareEnd(a.A, b.A); c != 0 {
			return c
		}
		return compareEnd(a.Z, b.Z)
	})
	// Faucet decides reflection once, at config time, over every link.
	all := t.graph(func(Link) bool { return true })
	if root := t.ConfigRoot(); root != "" {
		for _, n := range t.names {
			if p := all.shortestPath(n, root); len(p) > 2 {
				t.Reflection = true
			}
		}
	}
	return t
}

// Peer returns the other end of a stack port's link.
func (t *Topology) Peer(e End) (End, bool) {
	p, ok := t.peer[e]
	return p, ok
}

// Ports returns a DP's stack ports in port order.
func (t *Topology) Ports(dp string) []uint32 { return t.ports[dp] }

// Names returns the stack DPs' names, sorted.
func (t *Topology) Names() []string { return t.names }

// LinkOf returns the link a stack port belongs to.
func (t *Topology) LinkOf(e End) (Link, bool) {
	z, ok := t.peer[e]
	if !ok {
		return Link{}, false
	}
	if compareEnd(z, e) < 0 {
		return Link{z, e}, true
	}
	return Link{e, z}, true
}

// candidates returns the root candidates: the DPs with a stack priority.
func (t *Topology) candidates() []*config.DP {
	var out []*config.DP
	for _, n := range t.names {
		if d := t.DPs[n]; d.Stack != nil && d.Stack.Priority > 0 {
			out = append(out, d)
		}
	}
	return out
}

// ConfigRoot is the root Faucet picks from the configuration alone, with
// every candidate equally healthy: the lowest priority, then the lowest
// dp_id (Stack.nominate_stack_root).
func (t *Topology) ConfigRoot() string {
	c := t.candidates()
	if len(c) == 0 {
		return ""
	}
	slices.SortStableFunc(c, func(a, b *config.DP) int {
		if x := cmp.Compare(a.Stack.Priority, b.Stack.Priority); x != 0 {
			return x
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return c[0].Name
}
