package controller

import (
	"sync"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// defaultSentRing bounds how many sent messages are remembered for error
// reports. A switch answers an error within one round trip, so this only
// needs to cover the messages in flight; a barrier reply ends the need for
// everything sent before the barrier (the switch reports errors in order),
// so those entries are dropped then and the memory they hold released.
const defaultSentRing = 1 << 16

// sentMsg remembers one message sent without a reply waiter.
type sentMsg struct {
	xid uint32
	msg of13.Message
}

// waiter is a request waiting for its reply: a barrier or a multipart
// request (whose REPLY_MORE parts are aggregated into body).
type waiter struct {
	want   wire.Type
	mpType uint16
	body   []byte
	done   chan struct{}
	err    error // an OFError for this request, or the session's end
	// batchErr is, for a barrier, the first error caused by a message
	// sent since the previous barrier.
	batchErr *OFError
	// notify, if set, is called with the outcome once the waiter is done
	// (SendWithBarrier), on the goroutine that completes it.
	notify func(error)
}

// finish reports a done waiter's outcome to its notify function.
func (w *waiter) finish() {
	if w.notify == nil {
		return
	}
	switch {
	case w.err != nil:
		w.notify(w.err)
	case w.batchErr != nil:
		w.notify(w.batchErr)
	default:
		w.notify(nil)
	}
}

// tracker matches replies and errors to what the session sent.
// Send and requests write it; the reader reads it.
type tracker struct {
	mu      sync.Mutex
	next    uint32
	waiters map[uint32]*waiter
	ring    []sentMsg
	// trimmed is the xid up to which (exclusive) the ring was cleared.
	trimmed  uint32
	firstErr *OFError // since the last barrier reply
	closed   error
}

func newTracker(ring int) *tracker {
	return &tracker{waiters: map[uint32]*waiter{}, ring: make([]sentMsg, ring)}
}

// nextXID allocates a transaction id; 0 is never used, so an error with
// xid 0 is always unsolicited.
func (t *tracker) nextXID() uint32 {
	t.next++
	if t.next == 0 {
		t.next = 1
	}
	return t.next
}

// record allocates an xid for m and remembers m under it. Called with
// the switch's send lock held, so xids increase along the wire.
func (t *tracker) record(m of13.Message) uint32 {
	t.mu.Lock()
	xid := t.nextXID()
	t.ring[xid%uint32(len(t.ring))] = sentMsg{xid: xid, msg: m}
	t.mu.Unlock()
	return xid
}

// await registers a waiter and returns its xid, or the session's end.
func (t *tracker) await(w *waiter) (uint32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed != nil {
		return 0, t.closed
	}
	xid := t.nextXID()
	t.waiters[xid] = w
	return xid, nil
}

func (t *tracker) forget(xid uint32) {
	t.mu.Lock()
	delete(t.waiters, xid)
	t.mu.Unlock()
}

// lookup returns what was sent with xid: a waiter or a message summary.
func (t *tracker) lookup(xid uint32) (*waiter, string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w, ok := t.waiters[xid]; ok {
		return w, "", true
	}
	if s := t.ring[xid%uint32(len(t.ring))]; s.xid == xid && s.msg != nil {
		return nil, s.msg.Summary(), true
	}
	return nil, "", false
}

// batchError records err as caused by a message without a waiter.
func (t *tracker) batchError(err *OFError) {
	t.mu.Lock()
	if t.firstErr == nil {
		t.firstErr = err
	}
	t.mu.Unlock()
}

// complete finishes the waiter for xid with err (nil on success).
func (t *tracker) complete(xid uint32, err error) {
	t.mu.Lock()
	w, ok := t.waiters[xid]
	if ok {
		delete(t.waiters, xid)
		w.err = err
		if w.want == wire.TypeBarrierReply {
			w.batchErr, t.firstErr = t.firstErr, nil
			t.trim(xid)
		}
	}
	t.mu.Unlock()
	if ok {
		close(w.done)
		w.finish()
	}
}

// trim forgets the messages sent before the barrier with xid: the switch
// has answered it, so it has reported every error they caused. Called
// with mu held.
func (t *tracker) trim(xid uint32) {
	n := xid - t.trimmed // xids wrap around
	if n > uint32(len(t.ring)) {
		for i, s := range t.ring {
			if s.msg != nil && int32(xid-s.xid) > 0 {
				t.ring[i] = sentMsg{}
			}
		}
	} else {
		for x := t.trimmed; x != xid; x++ {
			if i := x % uint32(len(t.ring)); t.ring[i].xid == x {
				t.ring[i] = sentMsg{}
			}
		}
	}
	t.trimmed = xid
}

// waiterFor returns the waiter for xid if it expects reply type typ.
func (t *tracker) waiterFor(xid uint32, typ wire.Type) *waiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w, ok := t.waiters[xid]; ok && w.want == typ {
		return w
	}
	return nil
}

// close fails every waiter with err; later awaits fail immediately.
func (t *tracker) close(err error) {
	t.mu.Lock()
	t.closed = err
	ws := t.waiters
	t.waiters = map[uint32]*waiter{}
	t.mu.Unlock()
	for _, w := range ws {
		w.err = err
		close(w.done)
		w.finish()
	}
}
