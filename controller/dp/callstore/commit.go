package callstore

import (
	"context"
	"sync"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// Switches is what the store needs of the datapaths: the planner's view
// (where hosts are, each datapath's voice placement) and dp's side of the
// store contract: the per-datapath group commit (dp.Manager.Commit) and a
// read of a switch's per-call flows handed back to the store's Reconcile
// (dp.Manager.Reconcile). internal/voice adapts a dp.Manager to it.
type Switches interface {
	qos.Switches
	// Commit queues a change on dpid's group commit; done gets the
	// verdict on another goroutine and must not block. Refusals that mean
	// "no room" are qos.ErrMeterTableFull and qos.ErrTableFull.
	Commit(dpid uint64, c dp.Change, done func(error))
	// Reconcile reads dpid's per-call flows and hands them to
	// s.Reconcile, as dp does when a switch connects.
	Reconcile(ctx context.Context, dpid uint64, s dp.Store) error
}

// The store decides on its own goroutine but never waits for a switch: it
// queues each batch on its datapath's group commit in dp (dp.Manager.Commit),
// which sends everything queued while the previous change was in flight as
// one change with one barrier, and hands the verdict back here through the
// inbox. Meter adds of a merged group go first and meter deletes last; that
// is safe because meter ids are handed out round-robin (meterIDs), so an id
// freed by one batch is not reused by another queued beside it.
//
// The inbox has no fixed bound, so a verdict never blocks the session
// reader that delivers it, nor dp's goroutine that hands the store its
// flows at connect: it holds only answers to work already decided on.

// inbox holds what dp hands the store (verdicts, reads), in order.
type inbox struct {
	mu   sync.Mutex
	fs   []func(context.Context)
	kick chan struct{} // capacity 1: something was posted
}

// post queues f for the store goroutine; it never blocks.
func (e *Store) post(f func(context.Context)) {
	e.in.mu.Lock()
	e.in.fs = append(e.in.fs, f)
	e.in.mu.Unlock()
	select {
	case e.in.kick <- struct{}{}:
	default:
	}
}

// takeInbox returns and clears what was posted.
func (e *Store) takeInbox() []func(context.Context) {
	e.in.mu.Lock()
	defer e.in.mu.Unlock()
	fs := e.in.fs
	e.in.fs = nil
	return fs
}

// apply queues b on dpid's group commit; done, if not nil, receives the
// switch's verdict on the store goroutine.
func (e *Store) apply(_ context.Context, dpid uint64, b qos.Batch, done func(error)) {
	e.inflight.Add(1)
	e.addingMeters(dpid, b.MeterAdds, 1)
	e.sw.Commit(dpid, changeOf(b), func(err error) {
		e.post(func(context.Context) {
			e.addingMeters(dpid, b.MeterAdds, -1)
			if done != nil {
				done(err)
			}
			e.inflight.Add(-1)
		})
	})
}

// addingMeters counts the meter adds of a batch in flight (by delta).
func (e *Store) addingMeters(dpid uint64, mods []of13.MeterMod, delta int) {
	for _, m := range mods {
		if m.Command != of13.ModAdd {
			continue
		}
		a := e.adding[dpid]
		if a == nil {
			a = make(map[uint32]int)
			e.adding[dpid] = a
		}
		if a[m.ID] += delta; a[m.ID] <= 0 {
			delete(a, m.ID)
			if len(a) == 0 {
				delete(e.adding, dpid)
			}
		}
		if delta < 0 && len(e.sweeps[dpid]) > 0 {
			if e.added[dpid] == nil {
				e.added[dpid] = make(map[uint32]bool)
			}
			e.added[dpid][m.ID] = true
		}
	}
}

// changeOf is a batch as dp's change: meter adds, flow-mods in order,
// meter deletes.
func changeOf(b qos.Batch) dp.Change {
	var c dp.Change
	for _, m := range b.MeterAdds {
		c.Pre = append(c.Pre, m)
	}
	c.Flows = make([]of13.Message, len(b.Flows))
	for i, f := range b.Flows {
		c.Flows[i] = f
	}
	for _, m := range b.MeterDeletes {
		c.Post = append(c.Post, m)
	}
	return c
}

// Cookies implements dp.Store: the per-call cookie category.
func (e *Store) Cookies() controller.CookieMask {
	return controller.CookieMask{Cookie: qos.CookieCategory, Mask: qos.CookieCategoryMask}
}

// Reconcile implements dp.Store: dp hands the store a datapath's per-call
// flows, read at connect or at the store's request (a scan or a sweep).
// The work is done on the store goroutine (reconcile, remove.go). Its
// meters are not read back: a meter is rebuilt with the flows that use it,
// and one no flow uses is the DP's own store's to delete.
func (e *Store) Reconcile(dpid uint64, held dp.State, send func(dp.Change, func(error))) {
	flows := held.Flows
	e.post(func(ctx context.Context) { e.reconcile(ctx, dpid, flows, send) })
}

// Idle reports whether no batch is queued for or being sent to a switch.
func (e *Store) Idle() bool { return e.inflight.Load() == 0 }
