package qos

import (
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Placement says where in a datapath's pipeline voice flows live. The
// pipeline compiler owns the table layout: it puts a voice table after the
// VLAN table, so packets there carry their VLAN tag, and tells per VLAN
// which table they continue to (Program.VoIPNext).
type Placement struct {
	// DP is the datapath's name, for apply_to.
	DP string
	// Table holds the standing and per-call voice flows.
	Table uint8
	// Next maps each VLAN on the datapath to the table its packets continue
	// to after the voice table.
	Next map[uint16]uint8
	// Cookie is the DP cookie put on standing flows, which are part of the
	// compiled pipeline and owned by its reconciler.
	Cookie uint64
}

// Priorities inside the voice table. They sit above the compiler's
// per-VLAN continue flows, and per-call flows beat the standing ones so
// that in strict mode a pinhole wins over the standing drop.
const (
	PrioritySignalling uint16 = 8000
	PriorityStanding   uint16 = 8100
	PriorityCall       uint16 = 9000
)

// scope is one place the policy applies to: a VLAN, and the ingress ports
// on it when apply_to restricts ports (nil for all of them).
type scope struct {
	vid   uint16
	next  uint8
	ports []uint32
}

// scopes lists where the policy applies on the datapath, in VLAN order.
func (pl Placement) scopes(q *config.QoS) []scope {
	vids := make([]uint16, 0, len(pl.Next))
	for vid := range pl.Next {
		vids = append(vids, vid)
	}
	slices.Sort(vids)
	var out []scope
	for _, vid := range vids {
		a := q.ApplyTo
		switch {
		case a == nil:
		case len(a.DPs) > 0 && !slices.Contains(a.DPs, pl.DP):
			continue
		case len(a.VLANs) > 0 && !slices.Contains(a.VLANs, vid):
			continue
		}
		s := scope{vid: vid, next: pl.Next[vid]}
		if a != nil && len(a.Ports) > 0 {
			s.ports = a.Ports[pl.DP]
			if len(s.ports) == 0 {
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// matches returns the base matches of a scope: its VLAN, times its ports.
func (s scope) matches() []of13.Match {
	base := of13.NewMatch(of13.VlanVID(s.vid))
	if s.ports == nil {
		return []of13.Match{base}
	}
	out := make([]of13.Match, 0, len(s.ports))
	for _, p := range s.ports {
		out = append(out, base.With(of13.InPort(p)))
	}
	return out
}
