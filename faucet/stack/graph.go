package stack

import "slices"

// graph is the stack's DPs joined by the links that are up.
type graph struct {
	adj map[string][]string
}

func (t *Topology) graph(up func(Link) bool) *graph {
	g := &graph{adj: map[string][]string{}}
	for _, n := range t.names {
		g.adj[n] = nil
	}
	for _, l := range t.Links {
		if !up(l) {
			continue
		}
		if !slices.Contains(g.adj[l.A.DP], l.Z.DP) {
			g.adj[l.A.DP] = append(g.adj[l.A.DP], l.Z.DP)
			g.adj[l.Z.DP] = append(g.adj[l.Z.DP], l.A.DP)
		}
	}
	for n := range g.adj {
		slices.Sort(g.adj[n])
	}
	return g
}

// shortestPath returns the path from src to dst as DP names, src first:
// of all shortest paths the one that sorts first, as Faucet's
// sorted(networkx.all_shortest_paths(...))[0]. It is nil when there is no
// path (or either end is not a stack DP).
func (g *graph) shortestPath(src, dst string) []string {
	if _, ok := g.adj[src]; !ok {
		return nil
	}
	if _, ok := g.adj[dst]; !ok {
		return nil
	}
	dist := map[string]int{dst: 0}
	queue := []string{dst}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, n := range g.adj[cur] {
			if _, ok := dist[n]; !ok {
				dist[n] = dist[cur] + 1
				queue = append(queue, n)
			}
		}
	}
	d, ok := dist[src]
	if !ok {
		return nil
	}
	// Walking from src, always taking the first-sorting neighbour one
	// step closer, gives the lexicographically first shortest path.
	path := []string{src}
	for cur := src; d > 0; d-- {
		for _, n := range g.adj[cur] {
			if nd, ok := dist[n]; ok && nd == d-1 {
				cur = n
				break
			}
		}
		path = append(path, cur)
	}
	return path
}
