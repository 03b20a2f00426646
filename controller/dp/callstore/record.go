package callstore

import (
	"iter"
	"math"
	"net/netip"
	"slices"
	"unsafe"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// The engine keeps one record per call with QoS for as long as the call
// lasts, so at ten thousand calls every byte of it counts. A record holds
// what the planner decided, not what it produced: the flows of a stream
// are rebuilt from its leg's media, the call's cookie and the stream's
// rule (qos.Stream.flows) whenever they must be deleted or replayed.
// Strings (call and leg ids, codec) are the tracker's, shared, not
// copied.

// call is the engine's record of one call with QoS. Its server is in
// the cookie; the id (the Linkedid) is kept for logs.
//
// A call is one allocation: its first two legs live inline (nearly every
// call has two), which also keeps the record out of the size class of the
// flow-mod slices the engine churns through, where it would pin
// half-empty spans.
type call struct {
	id, server string
	cookie     uint64
	// inline holds the first ninline legs with installed streams; once a
	// call has had more than two, all of them are in more instead.
	ninline uint8
	inline  [2]legRecord
	more    []legRecord
	// adopted holds flows found on a switch after a controller restart
	// whose legs the tracker has not reported again yet; nil, and eight
	// bytes, for every other call.
	adopted *adoptedStreams
}

// adoptedStreams are the adopted flows of one call, by meter.
type adoptedStreams struct {
	list []installed
}

// legRecord is one leg's media and the streams installed for it: at
// most one per direction, the used ones first (a used stream has a meter,
// and per-call meter ids are never 0). The media's ports are kept apart
// from their addresses: two netip.AddrPort take 64 bytes with their
// padding, these 52, which keeps a call in the 384-byte size class
// (checked below).
type legRecord struct {
	id                    string
	localIP, remoteIP     netip.Addr
	codec                 string
	localPort, remotePort uint16
	streams               [2]stream
}

// newLegRecord records a leg's media, with no stream yet.
func newLegRecord(leg qos.Leg) legRecord {
	return legRecord{id: leg.ID, codec: leg.Codec,
		localIP: leg.Local.Addr(), localPort: leg.Local.Port(), remoteIP: leg.Remote.Addr(), remotePort: leg.Remote.Port()}
}

// local is the leg's Local end (the PBX's, or the peer phone's when direct).
func (l *legRecord) local() netip.AddrPort { return netip.AddrPortFrom(l.localIP, l.localPort) }

// remote is the leg's Remote end: its phone.
func (l *legRecord) remote() netip.AddrPort { return netip.AddrPortFrom(l.remoteIP, l.remotePort) }

// stream is one installed direction of a leg, on one datapath.
type stream struct {
	dpid  uint64
	meter uint32
	// kbps is the meter's rate; 16 bits hold any voice codec's, and leave
	// room for gen in the 32 bytes a stream takes.
	kbps uint16
	// gen is the generation in the stream's cookie: the store's own, or
	// for a stream adopted after a restart that of the run that made it.
	gen  uint16
	rule qos.Rule
}

// installed is one stream with its flows, as the switch should hold it.
// Adopted streams are kept in this form: the flows as found on the
// switch, since the leg they were built for is not known.
type installed struct {
	dpid  uint64
	meter uint32
	kbps  uint32
	flows []of13.Flow
}

// sameMedia reports whether the record is for exactly this leg's media.
// Direct needs no record of its own: a leg going direct or back changes
// Local (the peer phone for the PBX), and the streams say their direction.
func (l *legRecord) sameMedia(leg qos.Leg) bool {
	return l.id == leg.ID && l.local() == leg.Local && l.remote() == leg.Remote && l.codec == leg.Codec
}

// sameAddrs reports whether the record is for this leg's media addresses,
// whatever the codec.
func (l *legRecord) sameAddrs(leg qos.Leg) bool {
	return l.id == leg.ID && l.local() == leg.Local && l.remote() == leg.Remote
}

// hasDir reports whether the leg has a stream in one direction: from its
// Local end (fromLocal) or from its Remote end.
func (l *legRecord) hasDir(fromLocal bool) bool {
	for _, st := range l.used() {
		if st.rule.FromLocal == fromLocal {
			return true
		}
	}
	return false
}

// spec rebuilds what a stream of the leg was planned from.
func (l *legRecord) spec(cookie uint64, st *stream) qos.Stream {
	src, dst := l.remote(), l.local()
	if st.rule.FromLocal {
		src, dst = dst, src
	}
	return qos.Stream{Src: src, Dst: dst, Cookie: qos.WithGen(cookie, st.gen), Rule: st.rule}
}

// used returns the streams in use.
func (l *legRecord) used() []stream {
	n := 0
	for n < len(l.streams) && l.streams[n].meter != 0 {
		n++
	}
	return l.streams[:n]
}

// add records a stream and reports whether there was room.
func (l *legRecord) add(st stream) bool {
	n := len(l.used())
	if n == len(l.streams) || st.meter == 0 {
		return false
	}
	l.streams[n] = st
	return true
}

// remove forgets the stream on dpid with meter and returns how many flows
// it had, 0 if there was none.
func (l *legRecord) remove(cookie uint64, dpid uint64, meter uint32) int {
	used := l.used()
	for i := range used {
		st := &used[i]
		if st.dpid != dpid || st.meter != meter {
			continue
		}
		spec := l.spec(cookie, st)
		copy(used[i:], used[i+1:])
		used[len(used)-1] = stream{}
		return spec.Count()
	}
	return 0
}

// legs returns the legs with installed streams; the slice shares the
// record's memory.
func (c *call) legs() []legRecord {
	if c.more != nil {
		return c.more
	}
	return c.inline[:c.ninline]
}

// leg returns the index in legs of the leg with id, or -1.
func (c *call) leg(id string) int {
	legs := c.legs()
	for i := range legs {
		if legs[i].id == id {
			return i
		}
	}
	return -1
}

// addLeg records a leg and returns it.
func (c *call) addLeg(l legRecord) *legRecord {
	if c.more == nil && int(c.ninline) < len(c.inline) {
		c.inline[c.ninline] = l
		c.ninline++
		return &c.inline[c.ninline-1]
	}
	if c.more == nil {
		c.more = append(make([]legRecord, 0, 2*len(c.inline)), c.inline[:c.ninline]...)
		c.inline, c.ninline = [2]legRecord{}, 0
	}
	c.more = append(c.more, l)
	return &c.more[len(c.more)-1]
}

// dropLeg forgets the leg at index i of legs.
func (c *call) dropLeg(i int) {
	if c.more != nil {
		c.more = slices.Delete(c.more, i, i+1)
		return
	}
	copy(c.inline[i:c.ninline], c.inline[i+1:c.ninline])
	c.ninline--
	c.inline[c.ninline] = legRecord{}
}

// empty reports whether nothing is installed for the call any more.
func (c *call) empty() bool { return len(c.legs()) == 0 && c.adopted == nil }

// legStreams yields the streams of one leg with their flows.
func (c *call) legStreams(l *legRecord) iter.Seq[installed] {
	return func(yield func(installed) bool) {
		c.yieldLeg(l, nil, yield)
	}
}

// yieldLeg yields the streams of l that want accepts (nil: all), building
// the flows of those only, and reports whether to go on.
func (c *call) yieldLeg(l *legRecord, want func(dpid uint64) bool, yield func(installed) bool) bool {
	used := l.used()
	for i := range used {
		st := &used[i]
		if want != nil && !want(st.dpid) {
			continue
		}
		spec := l.spec(c.cookie, st)
		if !yield(installed{dpid: st.dpid, meter: st.meter, kbps: uint32(st.kbps), flows: spec.Flows(st.meter)}) {
			return false
		}
	}
	return true
}

// streams yields the call's streams on the datapaths want accepts (nil:
// all), adopted ones included, with their flows.
func (c *call) streams(want func(dpid uint64) bool) iter.Seq[installed] {
	return func(yield func(installed) bool) {
		legs := c.legs()
		for i := range legs {
			if !c.yieldLeg(&legs[i], want, yield) {
				return
			}
		}
		if c.adopted == nil {
			return
		}
		for _, a := range c.adopted.list {
			if (want == nil || want(a.dpid)) && !yield(a) {
				return
			}
		}
	}
}

// onDP selects the streams on one datapath.
func onDP(dpid uint64) func(uint64) bool {
	return func(d uint64) bool { return d == dpid }
}

// rate16 narrows a meter rate for a stream record, saturating.
func rate16(kbps uint32) uint16 { return uint16(min(kbps, math.MaxUint16)) }

// The record's layout is part of the memory budget (docs/benchmarks.md).
var (
	_ [32]byte  = [unsafe.Sizeof(stream{})]byte{}
	_ [384]byte = [unsafe.Sizeof(call{})]byte{}
)
