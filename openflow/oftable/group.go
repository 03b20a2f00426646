package oftable

import (
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// groupMax is OFPG_MAX.
const groupMax = 0xffffff00

// maxGroupDepth bounds group chaining in Trace.
const maxGroupDepth = 16

// group is an installed group with the packets Trace counted through it.
type group struct {
	of13.Group
	packets uint64
}

// ApplyGroupMod applies a group-mod. Adding an existing group fails with
// OFPGMFC_GROUP_EXISTS and modifying a missing one with
// OFPGMFC_UNKNOWN_GROUP. Deleting a group deletes the flows that forward to
// it (§6.5); deleting a group another group forwards to fails with
// OFPGMFC_CHAINED_GROUP; deleting a missing group is not an error.
func (t *Table) ApplyGroupMod(gm of13.GroupMod) error {
	if err := t.groupMod(&gm); err != nil {
		return fmt.Errorf("group-mod %d group %d: %w", gm.Command, gm.ID, err)
	}
	return nil
}

func (t *Table) groupMod(gm *of13.GroupMod) error {
	switch gm.Command {
	case of13.ModAdd, of13.ModModify:
		_, exists := t.groups[gm.ID]
		if gm.Command == of13.ModAdd && exists {
			return ErrGroupExists.with("group already exists")
		}
		if gm.Command == of13.ModModify && !exists {
			return ErrUnknownGroup.with("no such group")
		}
		if err := t.checkGroup(&gm.Group); err != nil {
			return err
		}
		g := gm.Group
		g.Buckets = slices.Clone(g.Buckets)
		for i := range g.Buckets {
			g.Buckets[i].Actions = slices.Clone(g.Buckets[i].Actions)
		}
		t.groups[g.ID] = &group{Group: g}
		return nil
	case of13.ModDelete:
		ids := []uint32{gm.ID}
		if gm.ID == of13.GroupAll {
			ids = ids[:0]
			for id := range t.groups {
				ids = append(ids, id)
			}
		}
		for _, id := range ids {
			if _, ok := t.groups[id]; !ok {
				continue
			}
			for oid, o := range t.groups {
				if gm.ID != of13.GroupAll && oid != id && groupRefs(&o.Group, id) {
					return ErrChainedGroup.with(fmt.Sprintf("group %d forwards to it", oid))
				}
			}
		}
		for _, id := range ids {
			delete(t.groups, id)
			t.removeAll(func(e *entry) bool { return usesGroup(&e.flow.Instr, id) })
		}
		return nil
	}
	return ErrBadGroupCommand.with(fmt.Sprintf("command %d", gm.Command))
}

func groupRefs(g *of13.Group, id uint32) bool {
	for _, b := range g.Buckets {
		for _, a := range b.Actions {
			if a.Type == of13.ActionGroup && a.Arg == id {
				return true
			}
		}
	}
	return false
}

func (t *Table) checkGroup(g *of13.Group) error {
	if g.ID > groupMax {
		return ErrInvalidGroup.with("group id out of range")
	}
	switch g.Type {
	case of13.GroupTypeAll, of13.GroupTypeSelect:
	case of13.GroupTypeIndirect:
		if len(g.Buckets) != 1 {
			return ErrInvalidGroup.with("an indirect group needs exactly one bucket")
		}
	case of13.GroupTypeFF:
		for i, b := range g.Buckets {
			if !watched(b.WatchPort, b.WatchGroup) {
				return ErrBadWatch.with(fmt.Sprintf("bucket %d watches nothing", i))
			}
		}
	default:
		return ErrBadGroupType.with(fmt.Sprintf("type %d", g.Type))
	}
	for i, b := range g.Buckets {
		for _, a := range b.Actions {
			if a.Type == of13.ActionGroup && a.Arg == g.ID {
				return ErrGroupLoop.with(fmt.Sprintf("bucket %d forwards to its own group", i))
			}
		}
		if err := t.checkActions(b.Actions, nil, false); err != nil {
			return fmt.Errorf("bucket %d: %w", i, err)
		}
	}
	return nil
}

func watched(port, grp uint32) bool {
	return (port != 0 && port != of13.PortAny) || (grp != 0 && grp != of13.GroupAny)
}

// GroupPackets returns how many packets Inject sent through group id.
func (t *Table) GroupPackets(id uint32) (uint64, bool) {
	g, ok := t.groups[id]
	if !ok {
		return 0, false
	}
	return g.packets, true
}

// portUp applies Config.PortUp.
func (t *Table) portUp(p uint32) bool { return t.cfg.PortUp == nil || t.cfg.PortUp(p) }

// bucketLive reports whether a bucket's watched port and group are live.
func (t *Table) bucketLive(b *of13.Bucket, depth int) bool {
	if b.WatchPort != 0 && b.WatchPort != of13.PortAny && !t.portUp(b.WatchPort) {
		return false
	}
	if b.WatchGroup != 0 && b.WatchGroup != of13.GroupAny {
		g, ok := t.groups[b.WatchGroup]
		if !ok || depth >= maxGroupDepth || !t.groupLive(&g.Group, depth+1) {
			return false
		}
	}
	return true
}

// groupLive reports whether a group has a live bucket.
func (t *Table) groupLive(g *of13.Group, depth int) bool {
	for i := range g.Buckets {
		if t.bucketLive(&g.Buckets[i], depth) {
			return true
		}
	}
	return false
}

// pickBuckets returns the buckets a packet takes through g: all of them
// for an all group, the single one for indirect, the first live one for
// fast failover, and for select a live bucket chosen by weight from a hash
// of the packet's addresses and ports, so one flow always takes one path.
func (t *Table) pickBuckets(g *of13.Group, p *Packet, depth int) []int {
	switch g.Type {
	case of13.GroupTypeAll:
		out := make([]int, len(g.Buckets))
		for i := range out {
			out[i] = i
		}
		return out
	case of13.GroupTypeIndirect:
		if len(g.Buckets) > 0 {
			return []int{0}
		}
	case of13.GroupTypeFF:
		for i := range g.Buckets {
			if t.bucketLive(&g.Buckets[i], depth) {
				return []int{i}
			}
		}
	case of13.GroupTypeSelect:
		var live []int
		total := uint64(0)
		for i := range g.Buckets {
			if g.Buckets[i].Weight > 0 && t.bucketLive(&g.Buckets[i], depth) {
				live = append(live, i)
				total += uint64(g.Buckets[i].Weight)
			}
		}
		if total == 0 {
			return nil
		}
		h := fnv.New64a()
		h.Write(p.EthSrc)
		h.Write(p.EthDst)
		h.Write(addr16(p.IPSrc))
		h.Write(addr16(p.IPDst))
		h.Write([]byte{p.IPProto, byte(p.L4Src >> 8), byte(p.L4Src), byte(p.L4Dst >> 8), byte(p.L4Dst)})
		x := h.Sum64() % total
		for _, i := range live {
			w := uint64(g.Buckets[i].Weight)
			if x < w {
				return []int{i}
			}
			x -= w
		}
	}
	return nil
}
