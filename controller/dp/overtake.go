package dp

import (
	"context"
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Overtake changes (learned hosts) skip the group commit's queue: they are
// sent as soon as the DP's goroutine has them, whatever group is in
// flight, and are never merged or retried. They still get a verdict from
// a barrier, but at most one barrier of theirs is outstanding: a change
// sent while one is goes out behind none and is confirmed by the next,
// which goes with the next change sent once the reply is back, or alone
// before the queue's next group (so that none of their errors is taken
// for the group's) or at the DP's next tick when learning has gone quiet.
// Under load that is one barrier per switch round trip rather than one
// per batch, never a message of its own, and learning never waits for a
// switch.

// sendOvertaking sends the Overtake changes queued. It runs on the DP's
// goroutine.
func (r *runner) sendOvertaking(ctx context.Context) {
	q := &r.commits
	q.mu.Lock()
	eager := q.overtake
	q.overtake = nil
	q.mu.Unlock()
	for _, p := range eager {
		done := p.done
		if done == nil {
			done = func(error) {}
		}
		sw := r.st.sw
		if sw == nil {
			done(fmt.Errorf("dp %s: %w", r.st.dp.Name, ErrNotConnected))
			continue
		}
		msgs := merge([]pendingChange{p})
		r.countSent(msgs)
		q.mu.Lock()
		if q.overtakeOut == 0 {
			dones := append(q.unconfirmed, done)
			q.unconfirmed = nil
			q.overtakeOut++
			q.mu.Unlock()
			r.overtakeBarrier(ctx, msgs, dones)
			continue
		}
		q.unconfirmed = append(q.unconfirmed, done)
		q.mu.Unlock()
		if err := sw.Send(ctx, msgs); err != nil {
			// Its verdict comes with the next barrier's (the session's
			// end); the next connect reconciles.
			r.st.dirty = true
		}
	}
}

// confirmOvertaking sends a barrier for the Overtake changes sent behind
// none, unless one of theirs is outstanding and force is not set.
func (r *runner) confirmOvertaking(ctx context.Context, force bool) {
	q := &r.commits
	q.mu.Lock()
	if len(q.unconfirmed) == 0 || (q.overtakeOut > 0 && !force) || r.st.sw == nil {
		q.mu.Unlock()
		return
	}
	dones := q.unconfirmed
	q.unconfirmed = nil
	q.overtakeOut++
	q.mu.Unlock()
	r.overtakeBarrier(ctx, nil, dones)
}

// overtakeBarrier sends msgs and a barrier whose verdict goes to dones.
func (r *runner) overtakeBarrier(ctx context.Context, msgs []of13.Message, dones []func(error)) {
	q := &r.commits
	verdict := func(err error) {
		q.mu.Lock()
		q.overtakeOut--
		q.mu.Unlock()
		for _, done := range dones {
			done(err)
		}
	}
	if err := r.st.sw.SendWithBarrier(ctx, msgs, verdict); err != nil {
		r.st.dirty = true
		verdict(fmt.Errorf("dp %s: %w", r.st.dp.Name, err))
	}
}
