package callstore

import (
	"cmp"
	"context"
	"math"
	"net/netip"
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// After a controller restart the switches still hold the flows and meters
// of calls that are up. dp hands the store each datapath's per-call flows
// when its switch connects (Reconcile), before the store installs
// anything there; the store keeps them as adopted streams of their call
// (by cookie), and hands each to its leg when a call source reports the
// leg again and the stream's flows are exactly what the leg needs: the
// stream keeps its flows, their counters and its meter id. The sweep, once
// every call source has resynchronised, deletes the adopted streams that
// no live call claims.

// Scan asks dp for a datapath's per-call flows, if the store has not had
// them since it started, and then plans the waiting legs again. dp hands
// them over by itself when a switch connects; a store started after its
// switches connected asks before its first install there (scanned).
func (e *Store) Scan(ctx context.Context, dpid uint64) error {
	return e.do(ctx, func(ctx context.Context) {
		if _, started := e.scans[dpid]; !started {
			e.startScan(ctx, dpid)
		}
	})
}

// scanned reports whether dpid's flows have been read, starting the read
// if it has not been.
func (e *Store) scanned(ctx context.Context, dpid uint64) bool {
	done, started := e.scans[dpid]
	if !started {
		e.startScan(ctx, dpid)
	}
	return done
}

// startScan asks dp, on a goroutine of the store's so that a slow switch
// does not hold the store up, to read dpid's per-call flows; they come
// back through Reconcile, and the read's end after them.
func (e *Store) startScan(ctx context.Context, dpid uint64) {
	e.scans[dpid] = false
	e.scanning++
	e.inflight.Add(1) // not idle until the flows are absorbed
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		err := e.sw.Reconcile(ctx, dpid, e)
		e.post(func(ctx context.Context) {
			e.scanning--
			defer e.inflight.Add(-1)
			if err != nil && !e.scans[dpid] {
				// Read again when a leg next needs the switch.
				delete(e.scans, dpid)
				e.log.Warn("reading per-call flows failed", "dp", dpName(dpid), "err", err)
			}
			e.kick(ctx)
		})
	}()
}

// absorb adopts the flows found on dpid that the store does not know and
// an earlier run installed, and marks dpid as read.
func (e *Store) absorb(dpid uint64, flows []of13.Flow) {
	known := make(map[of13.FlowKey]bool)
	for _, c := range e.calls {
		for st := range c.streams(onDP(dpid)) {
			for _, f := range st.flows {
				known[f.Key()] = true
			}
		}
	}
	n := 0
	for i := range flows {
		// A flow of this run's generation that the store does not know
		// is one it has deleted (or is deleting) since: never adopt it.
		if !known[flows[i].Key()] && qos.CookieGen(flows[i].Cookie) != e.Generation {
			e.adopt(dpid, flows[i])
			n++
		}
	}
	e.scans[dpid] = true
	if n > 0 {
		e.log.Info("call flows found on switch", "dp", dpName(dpid), "flows", n)
		e.report()
	}
}

// claimAdopted hands an adopted stream to a leg if the stream's flows are
// exactly those of the leg's direction (from its Local end if fromLocal):
// same 5-tuples, and the flows the adopted rule rebuilds are the ones the
// switch holds, so that a later delete or replay addresses them exactly.
func (e *Store) claimAdopted(c *call, leg qos.Leg, fromLocal bool) (stream, bool) {
	if c.adopted == nil {
		return stream{}, false
	}
	src, dst := leg.Remote, leg.Local
	if fromLocal {
		src, dst = dst, src
	}
	for i, a := range c.adopted.list {
		j := slices.IndexFunc(a.flows, func(f of13.Flow) bool { return qos.Carries(&f, src, dst) })
		if j < 0 {
			continue
		}
		rule := qos.RuleOf(&a.flows[j])
		rule.FromLocal = fromLocal
		gen := qos.CookieGen(a.flows[j].Cookie)
		spec := qos.Stream{Src: src, Dst: dst, Cookie: qos.WithGen(c.cookie, gen), Rule: rule}
		if !sameFlows(spec.Flows(a.meter), a.flows) || !qos.Treats(e.policy, leg, rule) {
			// Not this leg's flows, or not the treatment the leg now
			// gets (its class changed, or admission decided otherwise
			// after the restart): a fresh install replaces them.
			continue
		}
		c.adopted.list = slices.Delete(c.adopted.list, i, i+1)
		if len(c.adopted.list) == 0 {
			c.adopted = nil
		}
		kbps := qos.LegKbps(e.policy, leg)
		e.logStream("call flows adopted", leg, a.dpid, rule, a.meter, kbps)
		return stream{dpid: a.dpid, meter: a.meter, kbps: rate16(kbps), rule: rule, gen: gen}, true
	}
	return stream{}, false
}

// sameFlows reports whether want and have hold the same flows, in any
// order (have as read from a switch).
func sameFlows(want, have []of13.Flow) bool {
	if len(want) != len(have) {
		return false
	}
	for i := range want {
		w := &want[i]
		if !slices.ContainsFunc(have, func(h of13.Flow) bool {
			return h.Key() == w.Key() && h.Cookie == w.Cookie && h.IdleTimeout == w.IdleTimeout && h.Instr.Equal(w.Instr)
		}) {
			return false
		}
	}
	return true
}

// Located tells the engine that a host's address has just been located, so
// that legs waiting for it are planned at once rather than at their next
// retry. It never blocks: the caller is the packet-in path, and if the
// engine's queue is full the retry timer still finds the host.
func (e *Store) Located(ip netip.Addr) {
	f := func(ctx context.Context) {
		e.kickIf(ctx, func(l qos.Leg) bool { return l.Remote.Addr() == ip || l.Local.Addr() == ip })
	}
	select {
	case e.reqs <- f:
	default:
	}
}

// kick plans every waiting leg again.
func (e *Store) kick(ctx context.Context) { e.kickIf(ctx, nil) }

// kickIf plans the waiting legs that want accepts (nil: all) again.
func (e *Store) kickIf(ctx context.Context, want func(qos.Leg) bool) {
	var legs []*pendingLeg
	for _, ls := range e.retries {
		for _, p := range ls {
			if want == nil || want(p.leg) {
				legs = append(legs, p)
			}
		}
	}
	// In the order they started waiting: first come, first served for
	// the max_calls places, whatever the map's order.
	slices.SortFunc(legs, func(a, b *pendingLeg) int { return cmp.Compare(a.seq, b.seq) })
	for _, p := range legs {
		if e.retries[qos.CallCookie(p.leg.Server, p.leg.Call)][p.leg.ID] == p {
			e.mediaKnown(ctx, p.leg, p.known)
		}
	}
}

// adopt records a live call's flow found on a switch, so that the call's
// hang-up removes it.
func (e *Store) adopt(dpid uint64, f of13.Flow) {
	key := qos.CallKey(f.Cookie)
	c := e.calls[key]
	if c == nil {
		c = &call{cookie: key}
		e.calls[key] = c
	}
	if c.adopted == nil {
		c.adopted = &adoptedStreams{}
	}
	a := c.adopted
	i := slices.IndexFunc(a.list, func(a installed) bool { return a.dpid == dpid && a.meter == f.Instr.Meter })
	if i < 0 {
		// The codec of an adopted stream is unknown until the tracker
		// reports the leg again; until then a replay uses the default rate.
		kbps := uint32(math.Ceil(e.policy.MeterKbps("")))
		a.list = append(a.list, installed{dpid: dpid, meter: f.Instr.Meter, kbps: kbps})
		i = len(a.list) - 1
		e.meterIDs(dpid).take(f.Instr.Meter)
	}
	a.list[i].flows = append(a.list[i].flows, f)
	e.nflows++
}

// supersedeAdopted drops adopted flows that a fresh install has replaced
// (same key, so the switch already holds the new version) and deletes the
// adopted meters nothing uses any more.
func (e *Store) supersedeAdopted(ctx context.Context, c *call, l *legRecord) {
	if c.adopted == nil {
		return
	}
	fresh := make(map[of13.FlowKey]uint64)
	for st := range c.legStreams(l) {
		for _, f := range st.flows {
			fresh[f.Key()] = st.dpid
		}
	}
	c.adopted.list = slices.DeleteFunc(c.adopted.list, func(a installed) bool {
		kept := a.flows[:0]
		for _, f := range a.flows {
			if dpid, ok := fresh[f.Key()]; !ok || dpid != a.dpid {
				kept = append(kept, f)
			}
		}
		e.nflows -= len(a.flows) - len(kept)
		if len(kept) > 0 {
			a.flows = kept
			return false
		}
		if qos.IsCallMeter(a.meter) {
			del := qos.Batch{MeterDeletes: []of13.MeterMod{{Command: of13.ModDelete, Meter: of13.Meter{ID: a.meter}}}}
			e.apply(ctx, a.dpid, del, nil)
			e.meterIDs(a.dpid).free(a.meter)
		}
		return true
	})
	if len(c.adopted.list) == 0 {
		c.adopted = nil
	}
}
