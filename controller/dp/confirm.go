package dp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Learning is confirmed without waiting. A batch of learned hosts is sent
// and the DP moves on to the next packet-ins; the barrier reply is handled
// by a callback on the session's reader (controller.Switch.SendWithBarrier),
// so no goroutine waits or is woken for it. Waiting for each batch's
// barrier before the next would add a switch round trip to every packet-in
// that arrives meanwhile.
//
// At most one barrier confirms learning at a time: batches sent while one
// is outstanding are confirmed by the next batch's barrier or, when
// learning goes quiet, by the one the next tick sends (confirmSent).
// Under load that is one barrier per round trip rather than one per batch.
// Within a batch, a barrier request still separates its phases: the
// request alone makes the switch finish the deletes before it starts the
// adds.
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
	phases := b.plan().Phases
	for i, ph := range phases {
		r.countSent(ph)
		if i < len(phases)-1 || r.outstanding.Load() == 0 {
			if err := r.startBarrier(ctx, ph); err != nil {
				return err
			}
			continue
		}
		if err := r.st.sw.Send(ctx, ph); err != nil {
			r.st.dirty = true
			return fmt.Errorf("dp %s: send: %w", r.st.dp.Name, err)
		}
		r.st.unconfirmed = true
	}
	return nil
}

// confirmSent issues a barrier for the learning flows sent since the last
// one, unless a barrier is outstanding.
func (r *runner) confirmSent(ctx context.Context) {
	if !r.st.unconfirmed || r.outstanding.Load() > 0 || r.st.sw == nil {
		return
	}
	if err := r.startBarrier(ctx, nil); err != nil {
		r.log.Warn("confirming learned flows failed", "err", err)
	}
}

// startBarrier sends msgs and a barrier request behind them; confirmed
// gets the switch's verdict.
func (r *runner) startBarrier(ctx context.Context, msgs []of13.Message) error {
	r.outstanding.Add(1)
	if err := r.st.sw.SendWithBarrier(ctx, msgs, r.confirmed); err != nil {
		r.outstanding.Add(-1)
		r.st.dirty = true
		return fmt.Errorf("dp %s: %w", r.st.dp.Name, err)
	}
	r.st.unconfirmed = false
	return nil
}

// confirmed records a learning barrier's verdict. It runs on the session's
// reader goroutine and must not block. Only a refusal matters: a session
// that ended is reconciled in full by the next connect.
func (r *runner) confirmed(err error) {
	var refused *of13.Error
	if errors.As(err, &refused) {
		r.asyncFailed.Store(true)
		r.log.Warn("switch refused learned flows; will reconcile", "err", err)
	}
	r.outstanding.Add(-1)
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
