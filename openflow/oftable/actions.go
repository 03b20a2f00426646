package oftable

import (
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// execList executes an action list (apply-actions, a group bucket, or the
// ordered action set) on the packet in flight.
func (r *tracer) execList(f *flight, as []of13.Action, depth int) {
	for _, a := range as {
		if f.dead {
			return
		}
		p := &f.pkt
		switch a.Type {
		case of13.ActionOutput:
			r.output(f, a.Port)
		case of13.ActionPushVLAN:
			// §7.2.5: the new tag copies VID and PCP from the outer tag, if any.
			tag := VLAN{TPID: a.EtherType}
			if len(p.VLANs) > 0 {
				tag.VID, tag.PCP = p.VLANs[0].VID, p.VLANs[0].PCP
			}
			p.VLANs = append([]VLAN{tag}, p.VLANs...)
		case of13.ActionPopVLAN:
			if len(p.VLANs) == 0 {
				r.notef("pop_vlan on an untagged packet ignored")
				continue
			}
			p.VLANs = p.VLANs[1:len(p.VLANs):len(p.VLANs)]
		case of13.ActionSetField:
			if !p.setField(a.Set) {
				r.notef("%s: packet lacks the header, ignored", a.String())
			}
		case of13.ActionSetQueue:
			f.queue, f.queueSet = a.Arg, true
		case of13.ActionGroup:
			r.group(f, a.Arg, depth)
		case of13.ActionDecNwTTL:
			if !p.isIP() {
				r.notef("dec_ttl on a non-IP packet ignored")
				continue
			}
			if p.TTL <= 1 {
				// Without OFPC_INVALID_TTL_TO_CONTROLLER the switch drops it.
				r.notef("dec_ttl: TTL %d expired, packet dropped", p.TTL)
				f.dead = true
				return
			}
			p.TTL--
		case of13.ActionSetNwTTL:
			if p.isIP() {
				p.TTL = uint8(a.Arg)
			}
		case of13.ActionCopyTTLIn, of13.ActionCopyTTLOut:
			// Without MPLS there is no outer TTL to copy.
		default:
			r.notef("%s not modelled, ignored", a.String())
		}
	}
}

// output emits a copy of the packet on port.
func (r *tracer) output(f *flight, port uint32) {
	in := f.pkt.InPort
	emit := func(p uint32) {
		r.res.Outputs = append(r.res.Outputs, Out{Port: p, Queue: f.queue, QueueSet: f.queueSet, Packet: f.pkt})
	}
	switch port {
	case of13.PortInPort:
		emit(in)
	case of13.PortTable:
		if !r.packetOut || r.inTable {
			r.notef("output:table outside a packet-out ignored")
			return
		}
		// The pipeline gets its own copy; a packet-out's later actions
		// continue on the original.
		c := *f
		r.inTable = true
		r.pipeline(&c)
		r.inTable = false
	case of13.PortFlood, of13.PortAll:
		if len(r.t.cfg.Ports) == 0 {
			emit(port)
			return
		}
		for _, p := range r.t.cfg.Ports {
			if p != in && r.t.portUp(p) {
				emit(p)
			}
		}
	case in:
		// §4.5: a packet is not sent back out its ingress port unless
		// the action says OFPP_IN_PORT.
		r.notef("output:%d is the ingress port, suppressed", port)
	default:
		emit(port)
	}
}

// group executes group id on a copy of the packet per chosen bucket.
func (r *tracer) group(f *flight, id uint32, depth int) {
	g, ok := r.t.groups[id]
	if !ok {
		r.notef("group %d does not exist", id)
		return
	}
	if depth >= maxGroupDepth {
		r.notef("group %d: chain too deep", id)
		return
	}
	r.res.Groups = append(r.res.Groups, id)
	if r.count {
		g.packets++
	}
	buckets := r.t.pickBuckets(&g.Group, &f.pkt, depth)
	if len(buckets) == 0 {
		r.notef("group %d: no live bucket, packet dropped", id)
	}
	for _, i := range buckets {
		// Each bucket works on its own copy; slices in a Packet are never
		// modified in place, so a struct copy is a deep enough copy.
		c := *f
		r.execList(&c, g.Buckets[i].Actions, depth+1)
	}
}

// actionSet is the OpenFlow action set: at most one action of each type
// (one set-field per field), executed in the §5.10 order.
type actionSet []of13.Action

// write merges a into the set, replacing an action of the same kind.
func (s actionSet) write(a of13.Action) actionSet {
	for i, o := range s {
		if o.Type == a.Type && (a.Type != of13.ActionSetField || o.Set.Field == a.Set.Field) {
			s[i] = a
			return s
		}
	}
	return append(s, a)
}

// setRank is an action's place in the §5.10 execution order.
func setRank(t of13.ActionType) int {
	switch t {
	case of13.ActionCopyTTLIn:
		return 0
	case of13.ActionPopVLAN, of13.ActionPopMPLS, of13.ActionPopPBB:
		return 1
	case of13.ActionPushMPLS:
		return 2
	case of13.ActionPushPBB:
		return 3
	case of13.ActionPushVLAN:
		return 4
	case of13.ActionCopyTTLOut:
		return 5
	case of13.ActionDecNwTTL, of13.ActionDecMPLSTTL:
		return 6
	case of13.ActionSetField, of13.ActionSetNwTTL, of13.ActionSetMPLSTTL:
		return 7
	case of13.ActionSetQueue:
		return 8
	case of13.ActionGroup:
		return 9
	case of13.ActionOutput:
		return 10
	}
	return 11
}

// ordered returns the set in execution order. When the set holds a group
// action its output action is ignored (§5.10).
func (s actionSet) ordered() []of13.Action {
	out := slices.Clone(s)
	slices.SortStableFunc(out, func(a, b of13.Action) int { return setRank(a.Type) - setRank(b.Type) })
	if slices.ContainsFunc(out, func(a of13.Action) bool { return a.Type == of13.ActionGroup }) {
		out = slices.DeleteFunc(out, func(a of13.Action) bool { return a.Type == of13.ActionOutput })
	}
	return out
}
