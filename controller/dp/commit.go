package dp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Group commit: the one send path of every store's changes to a switch.
// The stores (the DP's own, the per-call store, Apply's callers) queue
// changes with Commit from any goroutine and get the switch's verdict in a
// callback; the DP's own store queues on its goroutine and, where it must
// record only what the switch confirmed, drives the queue until its
// verdict is in (runner.await). The DP's goroutine sends: when no
// change is in flight it takes everything queued (up to maxMerge changes)
// and sends it as one change with one barrier; the barrier's reply runs a
// callback on the session's reader, which hands out the verdicts and wakes
// the DP goroutine for the next group. At hundreds of calls a second a
// barrier per change would queue changes behind each other's round trips;
// a group commit costs one round trip per burst, and neither the caller
// nor the DP's goroutine ever waits for the switch.
//
// Merging puts every change's Pre (meter and group adds) first, then their
// flow-mods in queue order, then their Post (meter and group deletes). A
// change that adds a meter or group an earlier change of the group deletes
// (an id freed and taken again) starts the next group instead, so that its
// add never comes before that delete. If the switch refuses part of a
// merged group (or the session fails under it), each of its changes is
// sent again on its own, one barrier each and one at a time, so that every
// verdict is its own and a later change never overtakes an earlier one's
// retry.

// Change is one ordered change to a switch.
type Change struct {
	// Pre holds meter and group adds and modifies, sent first.
	Pre []of13.Message
	// Flows holds the flow-mods (or any message that must keep its
	// place), sent in order after every Pre.
	Flows []of13.Message
	// Post holds meter and group deletes, sent after every flow-mod.
	Post []of13.Message
	// Alone sends the change in a group of its own: for a change the
	// switch may refuse in the normal course (a replay whose meter may
	// still be there), so that its refusal does not send the changes
	// queued beside it again one by one.
	Alone bool
	// Overtake sends the change at once, ahead of the queue and beside a
	// group in flight, with a barrier of its own; it is never merged or
	// retried, its verdict being the switch's first error for it. For
	// changes whose flows no other change touches and that are safe to
	// send twice (learned hosts), so that learning never waits a switch
	// round trip behind other stores' barriers.
	Overtake bool
}

// Empty reports whether the change sends nothing.
func (c Change) Empty() bool { return len(c.Pre)+len(c.Flows)+len(c.Post) == 0 }

// maxMerge bounds how many changes share one barrier, which bounds how long
// one refusal can keep others waiting for their retry.
const maxMerge = 256

// errMeterExists is the switch's answer to a meter add whose id is in use
// (OFPMMFC_METER_EXISTS).
var errMeterExists = &of13.Error{Type: of13.ErrMeterModFailed, Code: 1}

// pendingChange is one queued change and who waits for its verdict.
type pendingChange struct {
	c    Change
	done func(error)
	// modified is set once its meter adds were turned into modifies
	// after a merged attempt had already added them.
	modified bool
}

// commits is a DP's group-commit queue. Its queue has no fixed bound, so
// Commit never blocks: it holds only work its stores have decided on, and
// drains at the switch's pace, maxMerge changes a barrier.
type commits struct {
	mu    sync.Mutex
	queue []pendingChange
	// retry holds the changes of a refused group, sent again one at a
	// time, before anything queued after them.
	retry []pendingChange
	// overtake holds Overtake changes, sent at the next flush whatever
	// is in flight (overtake.go).
	overtake []pendingChange
	// unconfirmed holds the verdict callbacks of Overtake changes sent
	// behind no barrier yet, and overtakeOut counts their barriers
	// outstanding.
	unconfirmed []func(error)
	overtakeOut int
	// busy is set while a barrier of the queue's is outstanding.
	busy bool
	// stopped is set once the DP's goroutine has ended: nothing queued
	// would be sent.
	stopped bool
	// kick wakes the DP's goroutine to send (capacity 1).
	kick chan struct{}
}

func newCommits() commits { return commits{kick: make(chan struct{}, 1)} }

func (q *commits) wake() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Commit queues c for DP dpid's group commit and returns at once. done, if
// not nil, gets the switch's verdict: nil once a barrier confirmed the
// change, the switch's first error for it, or ErrNotConnected, ErrUnknownDP
// or a stopped DP's error. It runs on another goroutine (the session's
// reader, or the DP's), or before Commit returns for an unknown or stopped
// DP; it must not block.
func (m *Manager) Commit(dpid uint64, c Change, done func(error)) {
	r := m.runner(dpid)
	if r == nil {
		if done != nil {
			done(fmt.Errorf("dp %#x: %w", dpid, ErrUnknownDP))
		}
		return
	}
	r.commit(c, done)
}

// commit queues c on the DP's group commit.
func (r *runner) commit(c Change, done func(error)) {
	q := &r.commits
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		if done != nil {
			done(errStopped)
		}
		return
	}
	if c.Overtake {
		q.overtake = append(q.overtake, pendingChange{c: c, done: done})
	} else {
		q.queue = append(q.queue, pendingChange{c: c, done: done})
	}
	q.mu.Unlock()
	q.wake()
}

// take returns what to send next: the head of a refused group's retries
// (alone), or up to maxMerge queued changes. It marks the queue busy.
func (q *commits) take() (group []pendingChange, retry bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy {
		return nil, false
	}
	if len(q.retry) > 0 {
		q.busy = true
		return q.retry[:1], true
	}
	n := 0
	var freed map[idKey]bool // meters and groups the group's Posts delete
	for n < len(q.queue) && n < maxMerge {
		c := &q.queue[n].c
		if c.Alone {
			if n == 0 {
				n = 1
			}
			break
		}
		if n > 0 && reuses(c.Pre, freed) {
			break
		}
		freed = noteDeletes(c.Post, freed)
		n++
	}
	if n == 0 {
		return nil, false
	}
	group = slices.Clone(q.queue[:n])
	if n == len(q.queue) {
		q.queue = nil // let a burst's array go
	} else {
		clear(q.queue[:n])
		q.queue = q.queue[n:]
	}
	q.busy = true
	return group, false
}

// flushCommits sends the next group, if none is in flight. It runs on the
// DP's goroutine, which owns the switch.
func (r *runner) flushCommits(ctx context.Context) {
	q := &r.commits
	r.sendOvertaking(ctx)
	group, retry := q.take()
	if len(group) == 0 {
		return
	}
	// Overtake changes sent behind no barrier get one now, so that no
	// error of theirs is taken for the group's.
	r.confirmOvertaking(ctx, true)
	sw := r.st.sw
	if sw == nil {
		r.commitFailed(group, retry, fmt.Errorf("dp %s: %w", r.st.dp.Name, ErrNotConnected))
		return
	}
	msgs := merge(group)
	r.countSent(msgs)
	var verdict func(error)
	switch {
	case retry:
		verdict = func(err error) { r.retried(err) }
	case len(group) == 1:
		verdict = func(err error) { r.committed(group, err) }
	default:
		verdict = func(err error) {
			if err == nil {
				r.committed(group, nil)
				return
			}
			// Each change again on its own, ahead of what was queued
			// since.
			q.mu.Lock()
			q.retry = append(q.retry, group...)
			q.busy = false
			q.mu.Unlock()
			q.wake()
		}
	}
	if err := sw.SendWithBarrier(ctx, msgs, verdict); err != nil {
		r.commitFailed(group, retry, fmt.Errorf("dp %s: %w", r.st.dp.Name, err))
	}
}

// merge is a group's changes as one, in send order: every Pre, every
// flow-mod in order, every Post (for one change, the change itself), an
// in-band barrier request between the three, so the switch has every
// meter before a flow uses it and deletes a meter only after the flows
// that used it (OpenFlow lets a switch reorder messages between barriers).
func merge(group []pendingChange) []of13.Message {
	var pre, flows, post int
	for i := range group {
		c := &group[i].c
		pre, flows, post = pre+len(c.Pre), flows+len(c.Flows), post+len(c.Post)
	}
	if len(group) == 1 && pre+post == 0 {
		return group[0].c.Flows // nothing to order: no copy
	}
	out := make([]of13.Message, 0, pre+flows+post+2)
	for i := range group {
		out = append(out, group[i].c.Pre...)
	}
	if pre > 0 && flows+post > 0 {
		out = append(out, of13.BarrierRequest{})
	}
	for i := range group {
		out = append(out, group[i].c.Flows...)
	}
	if flows > 0 && post > 0 {
		out = append(out, of13.BarrierRequest{})
	}
	for i := range group {
		out = append(out, group[i].c.Post...)
	}
	return out
}

// committed hands a group its verdict and sends the next; it runs on the
// session's reader.
func (r *runner) committed(group []pendingChange, err error) {
	q := &r.commits
	q.mu.Lock()
	q.busy = false
	q.mu.Unlock()
	for _, p := range group {
		if p.done != nil {
			p.done(err)
		}
	}
	q.wake()
}

// retried records the verdict of a refused group's change sent on its own.
// A change whose meter add a merged attempt had already made is sent once
// more with the meter modified rather than added.
func (r *runner) retried(err error) {
	q := &r.commits
	q.mu.Lock()
	p := q.retry[0]
	if errors.Is(err, errMeterExists) && !p.modified && hasMeterAdd(p.c.Pre) {
		q.retry[0] = pendingChange{c: modifyMeters(p.c), done: p.done, modified: true}
		q.busy = false
		q.mu.Unlock()
		q.wake()
		return
	}
	q.mu.Unlock()
	r.popRetry(err)
}

// popRetry hands the head of the retries its verdict and sends the next.
// The queue is still busy with it, so nothing else was taken meanwhile.
func (r *runner) popRetry(err error) {
	q := &r.commits
	q.mu.Lock()
	p := q.retry[0]
	q.retry[0] = pendingChange{}
	q.retry = q.retry[1:]
	if len(q.retry) == 0 {
		q.retry = nil
	}
	q.busy = false
	q.mu.Unlock()
	if p.done != nil {
		p.done(err)
	}
	q.wake()
}

// commitFailed fails a group that could not be sent.
func (r *runner) commitFailed(group []pendingChange, retry bool, err error) {
	if retry {
		r.popRetry(err)
		return
	}
	r.committed(group, err)
}

// stopCommits fails whatever is still queued when the DP's goroutine ends.
func (r *runner) stopCommits() {
	q := &r.commits
	q.mu.Lock()
	left := append(append(q.retry, q.queue...), q.overtake...)
	unconfirmed := q.unconfirmed
	q.retry, q.queue, q.overtake, q.unconfirmed, q.stopped = nil, nil, nil, nil, true
	q.mu.Unlock()
	for _, p := range left {
		if p.done != nil {
			p.done(errStopped)
		}
	}
	for _, done := range unconfirmed {
		done(errStopped)
	}
}

func hasMeterAdd(msgs []of13.Message) bool {
	for _, m := range msgs {
		if mm, ok := m.(of13.MeterMod); ok && mm.Command == of13.ModAdd {
			return true
		}
	}
	return false
}

// modifyMeters returns c with its meter adds turned into modifies.
func modifyMeters(c Change) Change {
	pre := make([]of13.Message, len(c.Pre))
	for i, m := range c.Pre {
		if mm, ok := m.(of13.MeterMod); ok && mm.Command == of13.ModAdd {
			mm.Command = of13.ModModify
			m = mm
		}
		pre[i] = m
	}
	c.Pre = pre
	return c
}

// idKey names a meter or a group.
type idKey struct {
	group bool
	id    uint32
}

// noteDeletes adds to freed the meters and groups msgs delete.
func noteDeletes(msgs []of13.Message, freed map[idKey]bool) map[idKey]bool {
	for _, m := range msgs {
		k, ok := modKey(m, of13.ModDelete)
		if !ok {
			continue
		}
		if freed == nil {
			freed = map[idKey]bool{}
		}
		freed[k] = true
	}
	return freed
}

// reuses reports whether msgs add a meter or group in freed.
func reuses(msgs []of13.Message, freed map[idKey]bool) bool {
	if len(freed) == 0 {
		return false
	}
	for _, m := range msgs {
		if k, ok := modKey(m, of13.ModAdd); ok && freed[k] {
			return true
		}
	}
	return false
}

// modKey returns the meter or group a meter- or group-mod with command cmd
// names.
func modKey(m of13.Message, cmd of13.ModCommand) (idKey, bool) {
	switch m := m.(type) {
	case of13.MeterMod:
		return idKey{id: m.Meter.ID}, m.Command == cmd
	case of13.GroupMod:
		return idKey{group: true, id: m.Group.ID}, m.Command == cmd
	}
	return idKey{}, false
}
