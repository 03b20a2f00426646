package stack

import "slices"

// View is one DP's part of the stack tree (ValveStackManager's
// towards_root_ports, chosen_towards_ports, away_ports,
// inactive_away_ports), for the pipeline to build its flood and
// learning flows from.
type View struct {
	DP   string
	Root string
	// Reflection is Topology.Reflection.
	Reflection bool
	// Ports are all the DP's stack ports; Up those whose link is up.
	Ports []uint32
	Up    []uint32
	// Towards are the up ports to peers nearest the root; Chosen those of
	// them to the next DP on the shortest path to the root, ChosenPort
	// the first of Chosen (0 when there is no path to the root).
	Towards    []uint32
	Chosen     []uint32
	ChosenPort uint32
	// Away are the other up ports; InactiveAway those of them whose peer
	// does not reach the root through this DP.
	Away         []uint32
	InactiveAway []uint32
	// Edge is Stack.is_edge: not the root, and as far from it as any DP.
	Edge bool
	// peerDP is each stack port's peer DP.
	peerDP map[uint32]string
	// towardsDP is the first up port on the shortest path to each DP
	// (Stack.shortest_path_port); relative is the port towards each DP
	// over the tree (relative_port_towards).
	towardsDP map[string]uint32
	relative  map[string]uint32
}

// IsRoot reports whether the DP is the root.
func (v *View) IsRoot() bool { return v != nil && v.DP == v.Root }

// IsStackPort reports whether port is one of the DP's stack ports.
func (v *View) IsStackPort(port uint32) bool { return v != nil && slices.Contains(v.Ports, port) }

// IsAway and IsTowards report a port's role.
func (v *View) IsAway(port uint32) bool    { return slices.Contains(v.Away, port) }
func (v *View) IsTowards(port uint32) bool { return slices.Contains(v.Towards, port) }

// Pruned is ValveStackManager.is_pruned_port: a towards-root port other
// than the chosen one, or a port that is not up. (Faucet also builds
// pruned_away_ports, but from the peers' port objects, which never equal
// a local port: away ports are never pruned, and neither are they here.)
func (v *View) Pruned(port uint32) bool {
	switch {
	case v.IsTowards(port):
		return port != v.ChosenPort
	case v.IsAway(port):
		return false
	}
	return true
}

// PeerDP returns the DP a stack port leads to.
func (v *View) PeerDP(port uint32) string { return v.peerDP[port] }

// PortTowards returns the first up port on the shortest path to DP dst
// (default_port_towards), 0 if none.
func (v *View) PortTowards(dst string) uint32 { return v.towardsDP[dst] }

// RelativePortTowards returns the port towards DP dst along the tree
// (relative_port_towards, used with edge_learn_stack_root): the away port
// to dst's branch when this DP is on dst's path to the root, else the
// chosen port towards the root. 0 if none.
func (v *View) RelativePortTowards(dst string) uint32 { return v.relative[dst] }

// View computes DP dp's view for root and state s.
func (t *Topology) View(dp, root string, s State) *View {
	if _, ok := t.DPs[dp]; !ok {
		return nil
	}
	g := t.graph(s.LinkUp)
	v := &View{DP: dp, Root: root, Reflection: t.Reflection, Ports: slices.Clone(t.ports[dp]),
		peerDP: map[uint32]string{}, towardsDP: map[string]uint32{}, relative: map[string]uint32{}}
	for _, p := range v.Ports {
		pe := t.peer[End{dp, p}]
		v.peerDP[p] = pe.DP
		if l, _ := t.LinkOf(End{dp, p}); s.LinkUp(l) {
			v.Up = append(v.Up, p)
		}
	}
	pathToRoot := func(from string) []string { return g.shortestPath(from, root) }
	if dp == root {
		v.Away = slices.Clone(v.Up)
	} else {
		shortest := -1
		dist := map[uint32]int{}
		for _, p := range v.Up {
			dist[p] = len(pathToRoot(v.peerDP[p]))
			if shortest < 0 || dist[p] < shortest {
				shortest = dist[p]
			}
		}
		for _, p := range v.Up {
			if dist[p] == shortest {
				v.Towards = append(v.Towards, p)
			} else {
				v.Away = append(v.Away, p)
			}
		}
		if len(v.Towards) > 0 {
			first := v.peerDP[v.Towards[0]]
			if sp := pathToRoot(dp); len(sp) > 1 {
				first = sp[1]
			}
			for _, p := range v.Towards {
				if v.peerDP[p] == first {
					v.Chosen = append(v.Chosen, p)
				}
			}
			if len(v.Chosen) > 0 {
				v.ChosenPort = v.Chosen[0]
			}
		}
	}
	for _, p := range v.Away {
		if !slices.Contains(pathToRoot(v.peerDP[p]), dp) {
			v.InactiveAway = append(v.InactiveAway, p)
		}
	}
	longest := 0
	for _, n := range t.names {
		longest = max(longest, len(pathToRoot(n)))
	}
	own := pathToRoot(dp)
	v.Edge = dp != root && root != "" && longest == len(own)
	for _, dst := range t.names {
		if sp := g.shortestPath(dp, dst); len(sp) > 1 {
			for _, p := range v.Up {
				if v.peerDP[p] == sp[1] {
					v.towardsDP[dst] = p
					break
				}
			}
		}
		v.relative[dst] = v.relativeTowards(dst, own, pathToRoot(dst))
	}
	return v
}

func (v *View) relativeTowards(dst string, own, dstToRoot []string) uint32 {
	if len(own) == 0 || dst == v.DP {
		return v.towardsDP[dst]
	}
	if i := slices.Index(dstToRoot, v.DP); i > 0 {
		away := dstToRoot[i-1]
		for _, p := range v.Away {
			if v.peerDP[p] == away && !v.Pruned(p) {
				return p
			}
		}
		return 0
	}
	return v.ChosenPort
}

// EdgeLearnPort is where a host that arrived over the stack is learned
// (edge_learn_port_towards): the port towards the DP that learned it on a
// non-stack port, along the tree when the VLAN has edge_learn_stack_root
// (Faucet's default), else by the shortest path. 0: do not learn.
func (v *View) EdgeLearnPort(edgeDP string, viaRoot bool) uint32 {
	if viaRoot {
		return v.RelativePortTowards(edgeDP)
	}
	return v.PortTowards(edgeDP)
}
