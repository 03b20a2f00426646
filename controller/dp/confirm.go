package dp

import (
	"context"
	"errors"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Learning is confirmed without waiting. A batch of learned hosts goes
// through the group commit (commit.go) as an Overtake change: sent at once
// with a barrier of its own, whatever other stores have in flight, and the
// DP moves on to the next packet-ins; the barrier's verdict comes back as
// a callback on the session's reader, so no goroutine waits or is woken
// for it. Within a batch an in-band barrier request keeps its deletes
// before its adds. A host's flows are its own and safe to send twice, so
// a batch may overtake queued changes and is never retried.
//
// Host flows are recorded as sent when they are sent (hostflows.go), so a
// refusal only marks the DP dirty: repair reconciles the switch on a later
// tick, reading what it really holds.

// sendAsync sends a batch that has no cache owners (only learned hosts)
// without waiting for the switch; a batch with cache owners goes through
// send, which waits to commit them.
func (r *runner) sendAsync(ctx context.Context, b *batch) error {
	if len(b.owners) > 0 {
		return r.send(ctx, b)
	}
	if b.empty() {
		return nil
	}
	if r.st.sw == nil {
		r.st.dirty = true
		return nil
	}
	c := b.change()
	c.Overtake = true
	r.commit(c, r.confirmed)
	r.flushCommits(ctx)
	return nil
}

// confirmed records a learning batch's verdict. It runs on the session's
// reader goroutine and must not block. Only a refusal matters: a session
// that ended is reconciled in full by the next connect.
func (r *runner) confirmed(err error) {
	var refused *of13.Error
	if errors.As(err, &refused) {
		r.asyncFailed.Store(true)
		r.log.Warn("switch refused learned flows; will reconcile", "err", err)
	}
}

// repairInterval is the least time between two reconciliations that
// repair a switch which refused changes: a switch that keeps refusing
// (its table is full) is not read in full at every tick.
const repairInterval = 5 * time.Second

// repair reconciles a connected switch that refused changes (the DP is
// dirty), at most once per repairInterval, instead of waiting for the next
// reload or reconnect.
func (r *runner) repair(ctx context.Context, now time.Time) {
	if r.asyncFailed.Swap(false) {
		r.st.dirty = true
	}
	if !r.st.dirty || r.st.sw == nil || now.Sub(r.st.lastRepair) < repairInterval {
		return
	}
	r.st.lastRepair = now
	r.log.Info("reconciling a switch that refused changes")
	if err := r.resync(ctx); err != nil {
		r.log.Warn("reconciling failed", "err", err)
	}
}
