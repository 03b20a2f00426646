package oftable

import (
	"fmt"
	"strings"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Out is one copy of a packet leaving the switch.
type Out struct {
	// Port is the output port: a physical port, or a reserved one such as
	// of13.PortController. Output to IN_PORT is reported as the ingress
	// port's number; FLOOD and ALL are expanded when Config.Ports is set.
	Port uint32
	// Queue is the queue set by set_queue, when QueueSet.
	Queue    uint32
	QueueSet bool
	// Packet is the packet as it leaves: tags pushed, popped and rewritten,
	// fields set, TTL decremented. Its slices may be shared with other
	// outputs; treat it as read-only.
	Packet Packet
}

// VID returns the outermost tag of the packet as it leaves, as an OXM
// vlan_vid value (0 for untagged, vid|OFPVID_PRESENT for tagged).
func (o Out) VID() uint16 { return o.Packet.VID() }

// String renders the output for test failure messages.
func (o Out) String() string {
	s := "port=" + portName(o.Port)
	if o.QueueSet {
		s += fmt.Sprintf(",queue=%d", o.Queue)
	}
	return s + " " + o.Packet.String()
}

func portName(p uint32) string {
	a := of13.Output(p)
	return strings.TrimPrefix(a.String(), "output:")
}

// Result is what happened to a packet in the pipeline.
type Result struct {
	// Outputs lists the copies of the packet that left, in the order the
	// switch emitted them.
	Outputs []Out
	// Dropped is true when no copy left.
	Dropped bool
	// Tables lists the tables the packet visited, in order.
	Tables []uint8
	// Flows lists the flow that matched in each table visited (a table
	// miss adds nothing).
	Flows []of13.Flow
	// Meters lists the meters applied, in order.
	Meters []uint32
	// Groups lists the groups executed, in order.
	Groups []uint32
	// Ambiguous lists lookups where flows of equal priority overlapped and
	// the winner was picked by match order only; OpenFlow leaves that
	// undefined, so a pipeline should not rely on it.
	Ambiguous []string
	// Notes records what a switch does silently: table misses, output to
	// the ingress port suppressed, TTL expiry, actions on missing headers.
	Notes []string
}

// String renders the trace for test failure messages.
func (r Result) String() string {
	var b strings.Builder
	for _, f := range r.Flows {
		fmt.Fprintf(&b, "  matched %s\n", f.String())
	}
	for _, n := range r.Ambiguous {
		fmt.Fprintf(&b, "  ambiguous: %s\n", n)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	if r.Dropped {
		b.WriteString("  -> dropped\n")
	}
	for _, o := range r.Outputs {
		fmt.Fprintf(&b, "  -> %s\n", o.String())
	}
	return b.String()
}

// Trace pushes pkt through the pipeline from table 0 and reports its fate.
// It changes nothing in t; Inject does the same and counts.
func (t *Table) Trace(pkt Packet) Result { return t.run(pkt, false) }

// Inject traces pkt and, like a switch forwarding it, increments the
// packet and byte counters of the flows, meters and groups it hits.
func (t *Table) Inject(pkt Packet) Result { return t.run(pkt, true) }

// tracer carries one packet's walk through the pipeline.
type tracer struct {
	t         *Table
	count     bool
	packetOut bool // OFPP_TABLE is allowed
	inTable   bool // running the pipeline for a packet-out
	bytes     uint64
	res       Result
	vec       fieldVec
}

// flight is the packet in flight and its pipeline state.
type flight struct {
	pkt      Packet
	queue    uint32
	queueSet bool
	dead     bool
}

func (t *Table) newTracer(pkt *Packet, count bool) *tracer {
	r := &tracer{t: t, count: count, bytes: 64}
	if pkt.Len > 0 {
		r.bytes = uint64(pkt.Len)
	}
	return r
}

func (t *Table) run(pkt Packet, count bool) Result {
	r := t.newTracer(&pkt, count)
	r.pipeline(&flight{pkt: pkt})
	r.res.Dropped = len(r.res.Outputs) == 0
	return r.res
}

// TracePacketOut reports the fate of a packet-out carrying pkt: its
// actions run on pkt, and output to OFPP_TABLE sends pkt through the
// pipeline from table 0 (with pkt.InPort as the ingress port).
func (t *Table) TracePacketOut(po of13.PacketOut, pkt Packet) Result {
	r := t.newTracer(&pkt, false)
	r.packetOut = true
	if po.InPort != 0 {
		pkt.InPort = po.InPort
	}
	r.execList(&flight{pkt: pkt}, po.Actions, 0)
	r.res.Dropped = len(r.res.Outputs) == 0
	return r.res
}

// pipeline runs the packet through the flow tables from table 0.
func (r *tracer) pipeline(f *flight) {
	t := r.t
	var set actionSet
	table := uint8(0)
	for {
		r.res.Tables = append(r.res.Tables, table)
		e := r.lookup(table, &f.pkt)
		if e == nil {
			r.notef("table %d: miss, packet dropped", table)
			return
		}
		r.res.Flows = append(r.res.Flows, e.flow)
		if r.count {
			e.packets++
			e.bytes += r.bytes
		}
		in := &e.flow.Instr
		if in.Meter != 0 {
			r.res.Meters = append(r.res.Meters, in.Meter)
			if m, ok := t.meters[in.Meter]; ok && r.count {
				m.packets++
			}
		}
		r.execList(f, in.Apply, 0)
		if f.dead {
			return
		}
		if in.ClearActions {
			set = set[:0]
		}
		for _, a := range in.Write {
			set = set.write(a)
		}
		if in.MetadataMask != 0 {
			f.pkt.Metadata = f.pkt.Metadata&^in.MetadataMask | in.Metadata&in.MetadataMask
		}
		if !in.HasGoto {
			r.execList(f, set.ordered(), 0)
			return
		}
		table = in.GotoTable
	}
}

func (r *tracer) notef(format string, args ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, args...))
}

// lookup returns the highest-priority flow in table id matching p.
func (r *tracer) lookup(id uint8, p *Packet) *entry {
	if int(id) >= len(r.t.tables) {
		return nil
	}
	p.extract(&r.vec)
	es := r.t.tables[id]
	for i, e := range es {
		if !matches(e.flow.Match, &r.vec) {
			continue
		}
		for _, o := range es[i+1:] {
			if o.flow.Priority != e.flow.Priority {
				break
			}
			if matches(o.flow.Match, &r.vec) {
				r.res.Ambiguous = append(r.res.Ambiguous, fmt.Sprintf("table %d: %s and %s both match",
					id, e.flow.String(), o.flow.String()))
			}
		}
		return e
	}
	return nil
}

// matches reports whether a packet with fields v matches m.
func matches(m of13.Match, v *fieldVec) bool {
	for i := range m {
		mf := &m[i]
		if v.present&(1<<mf.Field) == 0 {
			return false
		}
		pv := &v.val[mf.Field]
		n := mf.Field.Size()
		if mf.Masked {
			for j := 0; j < n; j++ {
				if pv[j]&mf.Mask[j] != mf.Value[j] {
					return false
				}
			}
		} else if [16]byte(*pv) != mf.Value {
			// Values are zero past the field's width on both sides.
			return false
		}
	}
	return true
}
