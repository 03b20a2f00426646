package callstore

import (
	"context"
	"slices"
	"sync"

	"github.com/voipsdn/voipsdn/controller/dp"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// removal deletes exactly the given flows, then their meters.
func removal(meters []uint32, flows []of13.Flow) qos.Batch {
	var b qos.Batch
	for _, f := range flows {
		b.Flows = append(b.Flows, of13.DeleteStrict(f))
	}
	for _, id := range meters {
		b.MeterDeletes = append(b.MeterDeletes, of13.MeterMod{Command: of13.ModDelete, Meter: of13.Meter{ID: id}})
	}
	return b
}

// removeLeg deletes a leg's streams from their switches.
func (e *Store) removeLeg(ctx context.Context, c *call, l *legRecord) {
	for st := range c.legStreams(l) {
		e.removeStream(ctx, c, l.id, st)
	}
}

// removeStream deletes one stream's flows, then its meter if it is one of
// the engine's. leg is "" for a stream adopted but not claimed by a leg.
func (e *Store) removeStream(ctx context.Context, c *call, leg string, st installed) {
	dpid, id, server := st.dpid, c.id, c.server
	var meters []uint32
	if qos.IsCallMeter(st.meter) {
		meters = []uint32{st.meter}
	}
	e.nflows -= len(st.flows)
	e.apply(ctx, dpid, removal(meters, st.flows), func(err error) {
		if err != nil {
			// The switch may be gone; its flows then expire by idle
			// timeout, and the next Sweep removes them on reconnect.
			e.log.Warn("removing call flows failed", "server", server, "call", id, "leg", leg, "dp", dpName(dpid), "err", err)
			return
		}
		e.log.Info("call flows removed", "server", server, "call", id, "leg", leg, "dp", dpName(dpid),
			"meter", st.meter, "flows", len(st.flows))
	})
	e.meterIDs(dpid).free(st.meter)
}

func (e *Store) removeCall(ctx context.Context, cookie uint64) {
	for leg := range e.retries[cookie] {
		e.forgetRetry(cookie, leg)
	}
	c := e.calls[cookie]
	if c == nil {
		return
	}
	legs := c.legs()
	for i := range legs {
		e.removeLeg(ctx, c, &legs[i])
	}
	if c.adopted != nil {
		for _, a := range c.adopted.list {
			e.removeStream(ctx, c, "", a)
		}
	}
	delete(e.calls, cookie)
	e.report()
}

// reconcile handles dp's read of dpid's per-call flows (Reconcile). With
// no sweep waiting it adopts them if it has not read dpid yet: a read
// after that may be older than a sweep that deleted some of them since,
// and must not bring those back. With a sweep waiting it adopts, replays
// and sweeps.
func (e *Store) reconcile(ctx context.Context, dpid uint64, held []of13.Flow, send func(dp.Change, func(error))) {
	reqs := e.sweeps[dpid]
	if len(reqs) == 0 {
		if !e.scans[dpid] {
			e.absorb(dpid, held)
			e.kick(ctx)
		}
		return
	}
	delete(e.sweeps, dpid)
	defer delete(e.added, dpid)
	e.sweep(dpid, held, reqs[0].live, send, func(err error) {
		for _, r := range reqs {
			r.done <- err
		}
	})
}

// sweep adopts what dpid holds, replays the streams the switch lost and
// deletes the flows no live call claims; done gets the deletes' verdict
// once the switch has answered for the replays too.
func (e *Store) sweep(dpid uint64, flows []of13.Flow, live func(uint64) bool, send func(dp.Change, func(error)), done func(error)) {
	j := &joined{done: done}
	j.add() // the sweep itself, until its deletes are sent
	send = j.send(send)
	e.absorb(dpid, flows)
	e.replay(dpid, flows, send)
	// Flows of legs the engine installed or that claimed them stay; so do
	// adopted ones of live calls, until their legs are reported again.
	claimed := make(map[of13.FlowKey]bool)
	for _, c := range e.calls {
		legs := c.legs()
		for i := range legs {
			for st := range c.legStreams(&legs[i]) {
				if st.dpid == dpid {
					for _, f := range st.flows {
						claimed[f.Key()] = true
					}
				}
			}
		}
	}
	var staleMeters []uint32
	stale := dp.Sweep(flows, func(f *of13.Flow) bool {
		if claimed[f.Key()] || (live != nil && live(qos.CallKey(f.Cookie))) {
			return true
		}
		staleMeters = append(staleMeters, e.forgetAdopted(dpid, f)...)
		return false
	})
	if len(stale) > 0 {
		e.log.Info("removing stale call flows", "dp", dpName(dpid), "flows", len(stale))
		c := changeOf(removal(dedup(staleMeters), nil))
		c.Flows, c.Alone = stale, true
		send(c, j.result)
	}
	j.finish()
}

// joined calls done once every change sent through its send has its
// verdict, with the error its result got.
type joined struct {
	mu      sync.Mutex
	pending int
	err     error
	done    func(error)
}

func (j *joined) add() { j.mu.Lock(); j.pending++; j.mu.Unlock() }

func (j *joined) finish() {
	j.mu.Lock()
	j.pending--
	last, err := j.pending == 0, j.err
	j.mu.Unlock()
	if last {
		j.done(err)
	}
}

// result records the deletes' verdict, the one done gets.
func (j *joined) result(err error) {
	j.mu.Lock()
	j.err = err
	j.mu.Unlock()
}

// send wraps send so that j waits for each change's verdict.
func (j *joined) send(send func(dp.Change, func(error))) func(dp.Change, func(error)) {
	return func(c dp.Change, verdict func(error)) {
		j.add()
		send(c, func(err error) {
			verdict(err)
			j.finish()
		})
	}
}

// forgetAdopted drops an adopted flow the switch no longer holds, or is
// about to lose, and returns the meter it used if no other adopted flow
// uses it any more, freeing the id: a meter has no timeout, so one left
// without flows would stay on the switch for good.
func (e *Store) forgetAdopted(dpid uint64, f *of13.Flow) []uint32 {
	c := e.calls[qos.CallKey(f.Cookie)]
	if c == nil || c.adopted == nil {
		return nil
	}
	key := f.Key()
	var freed []uint32
	list := c.adopted.list[:0]
	for _, a := range c.adopted.list {
		if a.dpid == dpid {
			n := len(a.flows)
			a.flows = slices.DeleteFunc(a.flows, func(g of13.Flow) bool { return g.Key() == key })
			e.nflows -= n - len(a.flows)
			if len(a.flows) == 0 {
				if qos.IsCallMeter(a.meter) {
					freed = append(freed, a.meter)
					e.meterIDs(dpid).free(a.meter)
				}
				continue
			}
		}
		list = append(list, a)
	}
	c.adopted.list = list
	if len(list) == 0 {
		c.adopted = nil
	}
	if c.empty() {
		delete(e.calls, c.cookie)
	}
	e.report()
	return freed
}

// replay reinstalls the streams of calls the engine has installed on dpid
// whose flows the switch no longer holds, as after a switch restart that
// lost its tables.
func (e *Store) replay(dpid uint64, onSwitch []of13.Flow, send func(dp.Change, func(error))) {
	have := make(map[of13.FlowKey]bool, len(onSwitch))
	for i := range onSwitch {
		have[onSwitch[i].Key()] = true
	}
	for _, c := range e.calls {
		for st := range c.streams(onDP(dpid)) {
			if len(st.flows) == 0 || !qos.IsCallMeter(st.meter) || allPresent(st.flows, have) ||
				e.adding[dpid][st.meter] > 0 || e.added[dpid][st.meter] {
				// Complete, or installed since the sweep asked for its
				// read: the read may have been answered before the
				// install reached the switch.
				continue
			}
			_, meter := qos.StreamPlan{Flows: st.flows, MeterKbps: st.kbps}.WithMeter(st.meter)
			b := qos.Batch{MeterAdds: []of13.MeterMod{{Command: of13.ModAdd, Meter: meter}}}
			for _, f := range st.flows {
				b.Flows = append(b.Flows, of13.AddFlow(f))
			}
			id := c.id
			// Alone: the switch may refuse the meter add (it may have
			// kept the meter, or the stream's install may have landed
			// since the read), which must not hold up other changes.
			ch := changeOf(b)
			ch.Alone = true
			send(ch, func(err error) {
				if err == nil {
					return
				}
				// The meter may have survived while the flows did not.
				b.MeterAdds[0].Command = of13.ModModify
				ch := changeOf(b)
				ch.Alone = true
				send(ch, func(err error) {
					if err != nil {
						e.log.Warn("reinstalling call flows failed", "call", id, "dp", dpName(dpid), "err", err)
					}
				})
			})
		}
	}
}

func allPresent(flows []of13.Flow, have map[of13.FlowKey]bool) bool {
	for i := range flows {
		if !have[flows[i].Key()] {
			return false
		}
	}
	return true
}

func dedup(ids []uint32) []uint32 {
	seen := make(map[uint32]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
