package callstore

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// The engine decides on its own goroutine but does not wait for switches:
// each datapath has a committer that sends every batch queued meanwhile as
// one ordered change with a single barrier. At hundreds of calls a second a
// barrier per change would queue changes behind each other's round trips;
// a group commit costs one round trip per burst.
//
// Merging keeps each batch's flow-mods in order, puts all meter adds first
// and all meter deletes last. That is safe because meter ids are handed out
// round-robin (meterIDs), so an id freed by one batch is not reused by
// another queued beside it.

// pendingApply is one batch waiting for its datapath's committer.
type pendingApply struct {
	b    qos.Batch
	done func(error) // runs on the engine goroutine
}

// committer sends one datapath's batches. Its queue has no fixed bound,
// so that apply never blocks the engine goroutine: the committer hands
// verdicts back through the engine's own request queue, and an engine
// waiting for room in a full committer queue while that committer waits
// for room in the engine's queue would deadlock (a burst of thousands of
// answered calls did exactly that). The queue holds only work already
// decided on, and drains at the switch's pace, maxMerge batches a barrier.
type committer struct {
	dpid   uint64
	mu     sync.Mutex
	queue  []pendingApply
	signal chan struct{} // capacity 1: something was queued
}

// maxMerge bounds how many batches share one barrier, which bounds how
// long one switch error can keep others waiting for their retry.
const maxMerge = 256

// apply queues b for dpid; done receives the switch's verdict on the
// engine goroutine.
func (e *Store) apply(ctx context.Context, dpid uint64, b qos.Batch, done func(error)) {
	c := e.committers[dpid]
	if c == nil {
		c = &committer{dpid: dpid, signal: make(chan struct{}, 1)}
		e.committers[dpid] = c
		e.wg.Add(1)
		go func() { defer e.wg.Done(); e.commit(ctx, c) }()
	}
	e.inflight.Add(1)
	c.mu.Lock()
	c.queue = append(c.queue, pendingApply{b: b, done: done})
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// take removes up to maxMerge queued batches, oldest first.
func (c *committer) take() []pendingApply {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.queue), maxMerge)
	group := slices.Clone(c.queue[:n])
	if n == len(c.queue) {
		c.queue = nil // let a burst's array go
	} else {
		clear(c.queue[:n])
		c.queue = c.queue[n:]
	}
	return group
}

// commit is a committer's loop.
func (e *Store) commit(ctx context.Context, c *committer) {
	for {
		group := c.take()
		if len(group) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-c.signal:
			}
			continue
		}
		errs := e.send(ctx, c.dpid, group)
		results := make([]func(), len(group))
		for i, p := range group {
			p, err := p, errs[i]
			results[i] = func() {
				if p.done != nil {
					p.done(err)
				}
			}
		}
		// Verdicts go back to the engine goroutine, which owns all state.
		e.do(ctx, func(context.Context) { //nolint:errcheck // ctx ended: nobody waits
			for _, r := range results {
				r()
			}
		})
		e.inflight.Add(-int64(len(group)))
	}
}

// send applies a group with one barrier; if the switch refuses something,
// each batch is applied again on its own so every verdict is its own.
func (e *Store) send(ctx context.Context, dpid uint64, group []pendingApply) []error {
	errs := make([]error, len(group))
	if len(group) == 1 {
		errs[0] = e.sw.Apply(ctx, dpid, group[0].b)
		return errs
	}
	var merged qos.Batch
	for _, p := range group {
		merged.MeterAdds = append(merged.MeterAdds, p.b.MeterAdds...)
		merged.Flows = append(merged.Flows, p.b.Flows...)
		merged.MeterDeletes = append(merged.MeterDeletes, p.b.MeterDeletes...)
	}
	if err := e.sw.Apply(ctx, dpid, merged); err == nil {
		return errs
	}
	for i, p := range group {
		errs[i] = e.sw.Apply(ctx, dpid, p.b)
		if errors.Is(errs[i], errMeterExists) && len(p.b.MeterAdds) > 0 {
			// The merged attempt already added this batch's meter before
			// failing elsewhere: set it again instead.
			b := p.b
			b.MeterAdds = append([]of13.MeterMod(nil), b.MeterAdds...)
			for j := range b.MeterAdds {
				b.MeterAdds[j].Command = of13.ModModify
			}
			errs[i] = e.sw.Apply(ctx, dpid, b)
		}
	}
	return errs
}

var errMeterExists = &of13.Error{Type: of13.ErrMeterModFailed, Code: 1} // OFPMMFC_METER_EXISTS

// Idle reports whether no batch is queued for or being sent to a switch.
func (e *Store) Idle() bool { return e.inflight.Load() == 0 }
