package of13

import "slices"

// GroupType is OFPGT_*.
type GroupType uint8

// Group types.
const (
	GroupTypeAll      GroupType = 0
	GroupTypeSelect   GroupType = 1
	GroupTypeIndirect GroupType = 2
	GroupTypeFF       GroupType = 3
)

// Bucket is one bucket of a group.
type Bucket struct {
	Weight     uint16
	WatchPort  uint32
	WatchGroup uint32
	Actions    []Action
}

// Group is a group entry.
type Group struct {
	ID      uint32
	Type    GroupType
	Buckets []Bucket
}

// Equal reports whether two groups are configured identically.
func (g *Group) Equal(o *Group) bool {
	return g.ID == o.ID && g.Type == o.Type && slices.EqualFunc(g.Buckets, o.Buckets, func(a, b Bucket) bool {
		return a.Weight == b.Weight && a.WatchPort == b.WatchPort && a.WatchGroup == b.WatchGroup &&
			slices.Equal(a.Actions, b.Actions)
	})
}

// GroupMod is a group-mod message.
type GroupMod struct {
	Command ModCommand
	Group
}
