package voice

import (
	"context"
	"iter"
	"net/netip"
	"time"
	"unsafe"

	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

// The service merges what its sources say into one view of the calls,
// so that a PBX followed through AMI and ARI at once (both name channels
// by the PBX's own Uniqueid and calls by its Linkedid) gives each call
// one set of flows and counts it once. The rules:
//
//   - A leg is (Server, Uniqueid). It stays in the call it was first seen
//     in, whichever source names which Linkedid later.
//   - A call is (Server, Linkedid), up from the first event any source
//     reports for it. Each call records which sources know it.
//   - MediaKnown with the media the leg already has is a repeat, whoever
//     sends it; a guess from RTCP never replaces media a source read.
//   - A hang-up is a fact of the PBX: the first LegEnded ends the leg and
//     the first normal CallEnded ends the call, from any source. Later
//     events of an ended call are ignored (it is remembered, bounded).
//   - A call that a source lost sight of (it ended while that source was
//     disconnected, or its resync does not list it) ends only when no
//     other source still knows it: that source's view contradicts it
//     until it says otherwise itself.
//   - A class (Classified) applies to the whole call, whether it arrives
//     before the call (kept, bounded) or after its flows are in (each leg
//     is planned again).

type callKey struct{ server, id string }

type legKey struct{ server, id string }

// mcall is one merged call. It is kept for as long as the call lasts,
// with its legs: the first two (nearly every call has two) in the call's
// own allocation, any later ones allocated alone, so that a leg's address
// never changes. Legs are only added, never removed, until the call ends.
// The record is 256 bytes (checked below), a size class that per-event
// garbage hardly uses (docs/benchmarks.md), so the spans it takes stay
// full; in a size class that such garbage shares, its spans would stay in
// use part-empty long after that garbage is collected.
type mcall struct {
	key     callKey
	knownBy uint64 // a bit per source index
	class   string
	first   [2]mleg // a leg with an empty id is not used yet
	more    []*mleg
}

// mleg is one merged leg: the media last handed to the flows (the rest of
// its qos.Leg is the call's, so it is not kept per leg). The media's
// ports are kept apart from their addresses: two netip.AddrPort take 64
// bytes with their padding, these 52.
type mleg struct {
	id                    string // never empty (legFor)
	localIP, remoteIP     netip.Addr
	codec                 string
	localPort, remotePort uint16
	direct                bool
	hasMedia              bool
	exact                 bool // media read from the PBX, not inferred from RTCP
	ended                 bool
}

var _ [256]byte = [unsafe.Sizeof(mcall{})]byte{}

func (l *mleg) local() netip.AddrPort  { return netip.AddrPortFrom(l.localIP, l.localPort) }
func (l *mleg) remote() netip.AddrPort { return netip.AddrPortFrom(l.remoteIP, l.remotePort) }

func (l *mleg) setMedia(local, remote netip.AddrPort) {
	l.localIP, l.localPort = local.Addr(), local.Port()
	l.remoteIP, l.remotePort = remote.Addr(), remote.Port()
}

// legs yields the call's legs in the order they were added.
func (c *mcall) legs() iter.Seq[*mleg] {
	return func(yield func(*mleg) bool) {
		for i := range c.first {
			if c.first[i].id != "" && !yield(&c.first[i]) {
				return
			}
		}
		for _, l := range c.more {
			if !yield(l) {
				return
			}
		}
	}
}

// leg returns the call's leg id, nil if it has none.
func (c *mcall) leg(id string) *mleg {
	for l := range c.legs() {
		if l.id == id {
			return l
		}
	}
	return nil
}

// addLeg adds a leg with a non-empty id that the call does not have.
func (c *mcall) addLeg(id string) *mleg {
	for i := range c.first {
		if c.first[i].id == "" {
			c.first[i].id = id
			return &c.first[i]
		}
	}
	l := &mleg{id: id}
	c.more = append(c.more, l)
	return l
}

// isCall and hasLeg tell the indexes which keys a call answers to.
func (c *mcall) isCall(k callKey) bool { return c.key == k }
func (c *mcall) hasLeg(k legKey) bool  { return c.key.server == k.server && c.leg(k.id) != nil }

// qosLeg is the leg l of call c as the flows take it.
func (s *Service) qosLeg(c *mcall, l *mleg) qos.Leg {
	return qos.Leg{Server: c.key.server, Call: c.key.id, ID: l.id, Local: l.local(), Remote: l.remote(), Codec: l.codec,
		Direct: l.direct, MayGoDirect: s.direct[c.key.server], Class: c.class}
}

// merged is the service's view of the calls; Service.mu guards it.
type merged struct {
	policy *config.QoS
	calls  index[callKey, mcall]
	// legs finds a leg's call; a leg stays in the call it was first
	// seen in.
	legs index[legKey, mcall]
	// ended remembers recently ended calls, so that a slower source's
	// events cannot bring one back.
	ended fifo[callKey, struct{}]
	// Classes of calls and legs not seen yet.
	pendingCall fifo[callKey, string]
	pendingLeg  fifo[legKey, string]
}

// Bounds of what is remembered about calls that are not up.
const (
	endedMemory   = 8192
	pendingMemory = 4096
)

func newMerged() merged {
	return merged{
		calls: newIndex((*mcall).isCall), legs: newIndex((*mcall).hasLeg),
		ended:       newFIFO[callKey, struct{}](endedMemory),
		pendingCall: newFIFO[callKey, string](pendingMemory),
		pendingLeg:  newFIFO[legKey, string](pendingMemory),
	}
}

// handle acts on one event of source src; sources call it from their
// goroutines.
func (s *Service) handle(src int, ev call.Event) {
	ctx := s.runCtx()
	bit := uint64(1) << src
	h := ev.EventHeader()
	var due []uint64
	s.mu.Lock()
	switch e := ev.(type) {
	case call.CallStarted:
		s.legSeen(ctx, bit, h, e.Leg.Uniqueid, e.Resynced)
	case call.LegAdded:
		s.legSeen(ctx, bit, h, e.Leg.Uniqueid, false)
	case call.LegAnswered:
		s.legSeen(ctx, bit, h, e.Leg.Uniqueid, false)
	case call.MediaKnown:
		s.mediaKnown(ctx, bit, h, e)
	case call.LegEnded:
		s.legEnded(ctx, h, e.Leg.Uniqueid)
	case call.CallEnded:
		s.callEnded(ctx, bit, h, e)
	case call.Classified:
		s.classified(ctx, h, e)
	case call.Resynced:
		due = s.resynced(ctx, bit, h, e.Calls)
	case call.Unsynced:
		s.synced &^= bit
	case call.QualityReport:
		if m := s.opts.Metrics; m != nil {
			m.ObserveRTCP(qualityFigures(e))
		}
	case call.ChannelRefused:
		if m := s.opts.Metrics; m != nil {
			m.ChannelRefused(h.Server, e.Limit)
		}
	}
	s.mu.Unlock()
	for _, dpid := range due {
		s.sweep(ctx, dpid)
	}
	if s.opts.Events != nil {
		s.opts.Events(ev)
	}
}

// callFor returns the call of h, which src (bit) knows, creating it; nil
// if it ended.
func (s *Service) callFor(bit uint64, h call.Header, uid string, quiet bool) *mcall {
	if h.Call == "" {
		return nil
	}
	k := callKey{h.Server, h.Call}
	if c := s.m.calls.get(k); c != nil {
		c.knownBy |= bit
		return c
	}
	if s.m.ended.has(k) {
		return nil
	}
	c := &mcall{key: k, knownBy: bit}
	c.class, _ = s.m.pendingCall.take(k)
	s.m.calls.put(k, c)
	s.setLive(k.server, k.id, true)
	s.countActive()
	if !quiet {
		s.log.Info("call started", "server", k.server, "call", k.id, "leg", uid, "class", c.class)
	}
	return c
}

// legFor returns the leg uid of h's call and the call it is in, creating
// both; a nil leg if the call ended. A known leg stays in its call.
func (s *Service) legFor(ctx context.Context, bit uint64, h call.Header, uid string, quiet bool) (*mcall, *mleg) {
	lk := legKey{h.Server, uid}
	if c := s.m.legs.get(lk); c != nil {
		c.knownBy |= bit
		return c, c.leg(uid)
	}
	c := s.callFor(bit, h, uid, quiet)
	if c == nil || uid == "" {
		return nil, nil
	}
	l := c.addLeg(uid)
	s.m.legs.put(lk, c)
	if class, ok := s.m.pendingLeg.take(lk); ok {
		s.setClass(ctx, c, class)
	}
	return c, l
}

func (s *Service) legSeen(ctx context.Context, bit uint64, h call.Header, uid string, resynced bool) {
	if c, l := s.legFor(ctx, bit, h, uid, false); l != nil && resynced {
		s.log.Debug("call found by a resync", "server", h.Server, "call", c.key.id, "leg", uid)
	}
}

func (s *Service) mediaKnown(ctx context.Context, bit uint64, h call.Header, e call.MediaKnown) {
	c, l := s.legFor(ctx, bit, h, e.Leg.Uniqueid, false)
	if l == nil || l.ended {
		return
	}
	exact := e.Source != call.SourceRTCP
	if l.hasMedia && l.exact && !exact {
		return
	}
	codec := e.Codec
	if codec == "" && l.hasMedia && l.local() == e.Local && l.remote() == e.Remote {
		// A source that does not know the codec does not erase the one
		// another source reported for the same media.
		codec = l.codec
	}
	if l.hasMedia && l.local() == e.Local && l.remote() == e.Remote && l.codec == codec && l.direct == e.Direct {
		return
	}
	l.setMedia(e.Local, e.Remote)
	l.codec, l.direct = codec, e.Direct
	l.hasMedia, l.exact = true, exact
	leg, ok := s.admitLeg(ctx, c, l)
	if !ok {
		return
	}
	if err := s.flows.MediaKnown(ctx, leg, time.Now()); err != nil {
		s.log.Debug("media known dropped at shutdown", "err", err)
	}
}

func (s *Service) legEnded(ctx context.Context, h call.Header, uid string) {
	c := s.m.legs.get(legKey{h.Server, uid})
	var l *mleg
	if c != nil {
		l = c.leg(uid)
	} else {
		// A leg not seen yet of a call that is up: remember it ended,
		// so a slower source cannot give it flows.
		if s.m.calls.get(callKey{h.Server, h.Call}) == nil {
			return
		}
		if c, l = s.legFor(ctx, 0, h, uid, true); l == nil {
			return
		}
	}
	if l.ended {
		return
	}
	l.ended = true
	if s.adm != nil {
		s.adm.legEnded(c.key.server, c.key.id, l.id)
	}
	if l.hasMedia {
		s.flows.LegEnded(ctx, c.key.server, c.key.id, l.id) //nolint:errcheck // only fails at shutdown
		l.hasMedia = false
	}
}

func (s *Service) callEnded(ctx context.Context, bit uint64, h call.Header, e call.CallEnded) {
	c := s.m.calls.get(callKey{h.Server, h.Call})
	if c == nil {
		return
	}
	if e.Reason == call.ReasonDisconnected {
		// This source lost the call while it was away; another that
		// still follows it may know better.
		if c.knownBy &^= bit; c.knownBy != 0 {
			return
		}
	}
	s.endCall(ctx, c, e)
}

// endCall ends a merged call: counted once, its flows removed, its ids
// remembered.
func (s *Service) endCall(ctx context.Context, c *mcall, e call.CallEnded) {
	k := c.key
	outcome := tracker.Outcome(e)
	if m := s.opts.Metrics; m != nil {
		m.CallEnded(k.server, outcome)
	}
	s.log.Info("call ended", "server", k.server, "call", k.id, "outcome", outcome, "cause", e.Cause, "reason", e.Reason)
	s.m.calls.del(k)
	for l := range c.legs() {
		s.m.legs.del(legKey{k.server, l.id})
	}
	s.m.ended.put(k, struct{}{})
	s.setLive(k.server, k.id, false)
	s.countActive()
	if s.adm != nil {
		s.adm.callEnded(k.server, k.id, c)
	}
	s.flows.CallEnded(ctx, k.server, k.id) //nolint:errcheck // only fails at shutdown
}

func (s *Service) classified(ctx context.Context, h call.Header, e call.Classified) {
	if s.m.policy.Class(e.Class) == nil {
		s.log.Warn("call classified with a class not in voip.qos.classes; ignored", "server", h.Server, "call", h.Call, "class", e.Class)
		return
	}
	c := s.m.legs.get(legKey{h.Server, e.Uniqueid})
	if c == nil && h.Call != "" {
		c = s.m.calls.get(callKey{h.Server, h.Call})
	}
	if c == nil {
		if h.Call != "" && s.m.ended.has(callKey{h.Server, h.Call}) {
			return
		}
		// The class came first: keep it for the call.
		if h.Call != "" {
			s.m.pendingCall.put(callKey{h.Server, h.Call}, e.Class)
		}
		if e.Uniqueid != "" {
			s.m.pendingLeg.put(legKey{h.Server, e.Uniqueid}, e.Class)
		}
		return
	}
	s.setClass(ctx, c, e.Class)
}

// setClass gives c a class; legs whose flows are in are planned again.
func (s *Service) setClass(ctx context.Context, c *mcall, class string) {
	if c.class == class {
		return
	}
	s.log.Info("call classified", "server", c.key.server, "call", c.key.id, "class", class, "was", c.class)
	c.class = class
	for l := range c.legs() {
		if !l.hasMedia || l.ended || (s.adm != nil && s.adm.isRefused(c.key.server, l.id)) {
			continue
		}
		// The flows' owner keeps a leg whose media did not change: take
		// the leg's flows out and plan it afresh under the new class.
		s.flows.LegEnded(ctx, c.key.server, c.key.id, l.id) //nolint:errcheck // only fails at shutdown
		s.flows.MediaKnown(ctx, s.qosLeg(c, l), time.Now()) //nolint:errcheck // only fails at shutdown
	}
}

// resynced takes a source's complete list of the calls up on its server:
// calls it knew and no longer lists are no longer its, and end if no
// other source knows them. It returns the switches whose sweep waited.
func (s *Service) resynced(ctx context.Context, bit uint64, h call.Header, up []string) []uint64 {
	listed := make(map[string]bool, len(up))
	for _, id := range up {
		listed[id] = true
		s.callFor(bit, call.Header{Server: h.Server, Call: id}, "", true)
	}
	for c := range s.m.calls.all() {
		if c.key.server != h.Server || c.knownBy&bit == 0 || listed[c.key.id] {
			continue
		}
		if c.knownBy &^= bit; c.knownBy == 0 {
			s.endCall(ctx, c, call.CallEnded{Header: call.Header{Server: h.Server, Call: c.key.id}, Reason: call.ReasonDisconnected})
		}
	}
	s.synced |= bit
	if !s.syncedLocked() {
		return nil
	}
	due := make([]uint64, 0, len(s.pending))
	for dpid := range s.pending {
		due = append(due, dpid)
	}
	clear(s.pending)
	return due
}

func (s *Service) countActive() {
	if m := s.opts.Metrics; m != nil {
		m.SetCallsActive(s.m.calls.len())
	}
}

// fifo is a map that forgets its oldest keys past max.
type fifo[K comparable, V any] struct {
	m   map[K]V
	q   []K
	max int
}

func newFIFO[K comparable, V any](max int) fifo[K, V] {
	return fifo[K, V]{m: map[K]V{}, max: max}
}

func (f *fifo[K, V]) put(k K, v V) {
	if _, ok := f.m[k]; !ok {
		for len(f.q) >= f.max {
			delete(f.m, f.q[0])
			f.q = f.q[1:]
		}
		f.q = append(f.q, k)
	}
	f.m[k] = v
}

func (f *fifo[K, V]) has(k K) bool { _, ok := f.m[k]; return ok }

func (f *fifo[K, V]) take(k K) (V, bool) {
	v, ok := f.m[k]
	delete(f.m, k)
	return v, ok
}
