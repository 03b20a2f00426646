package config

import (
	"fmt"
	"sort"
)

// checkStacks verifies the stacking topology across DPs as Faucet does:
// a root must be configured, every stack link must be defined in both
// directions and every stacked DP must reach the root.
func (v *validator) checkStacks() {
	var stackDPs, rootCands []*DP
	for _, dp := range v.cfg.DPs {
		if dp.Stack == nil {
			continue
		}
		stackDPs = append(stackDPs, dp)
		if dp.Stack.Priority > 0 {
			rootCands = append(rootCands, dp)
		}
	}
	if len(stackDPs) == 0 || v.stackErr {
		return
	}
	if len(rootCands) == 0 {
		v.e.add(stackDPs[0].Pos, "stacking enabled but no root DP (set stack: {priority: 1} on one DP)")
		return
	}
	sort.SliceStable(rootCands, func(i, j int) bool {
		a, b := rootCands[i], rootCands[j]
		if a.Stack.Priority != b.Stack.Priority {
			return a.Stack.Priority < b.Stack.Priority
		}
		return a.ID < b.ID
	})
	root := rootCands[0].Name

	// Each link is counted from both ends; a count other than two means
	// it was declared only one way.
	edges := map[string]int{}
	adj := map[string][]string{}
	for _, dp := range stackDPs {
		for _, p := range dp.Ports {
			if p.Stack == nil || p.Stack.Port == 0 {
				continue
			}
			peer := v.cfg.DP(p.Stack.DP)
			if peer == nil {
				continue
			}
			a := fmt.Sprintf("%s:%d", dp.Name, p.Number)
			b := fmt.Sprintf("%s:%d", peer.Name, p.Stack.Port)
			if b < a {
				a, b = b, a
			}
			edges[a+"-"+b]++
			adj[dp.Name] = append(adj[dp.Name], peer.Name)
			adj[peer.Name] = append(adj[peer.Name], dp.Name)
		}
	}
	names := make([]string, 0, len(edges))
	for name := range edges {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if edges[name] != 2 {
			v.e.add(v.stackDPPos(name), "stack link %s defined only in one direction", name)
		}
	}
	reach := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, n := range adj[cur] {
			if !reach[n] {
				reach[n] = true
				queue = append(queue, n)
			}
		}
	}
	for _, dp := range stackDPs {
		if !reach[dp.Name] {
			v.e.add(dp.Pos, "%s not connected to stack (root %s)", dp.Name, root)
		}
	}
	// Routing on a stack needs stack route learning.
	for _, dp := range stackDPs {
		for _, vl := range dp.VLANs {
			if len(vl.FaucetVIPs) > 0 {
				for _, sdp := range stackDPs {
					sdp.Stack.RouteLearning = true
				}
			}
		}
	}
}

func (v *validator) stackDPPos(edge string) Pos {
	for _, dp := range v.cfg.DPs {
		if len(edge) > len(dp.Name) && edge[:len(dp.Name)+1] == dp.Name+":" {
			return dp.Pos
		}
	}
	return Pos{}
}
