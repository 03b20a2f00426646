package ami

import (
	"context"
	"sync"
	"time"
)

// queue is the bounded hand-off between the socket reader and the
// delivery goroutine. push never blocks: when the queue is full the event
// is dropped and counted. Notices (connect, disconnect) are never dropped:
// they are few and consumers need them to stay consistent.
//
// A drop is announced by a DeliveryOverflow item in the ring at the drop's
// place in the stream: after every event that came before the dropped
// one. A consumer that resynchronises on it has then seen every channel a
// dropped Hangup could have ended; an announcement that jumped the queue
// let such channels in after the resync's snapshot point, and they stayed
// up as ghosts. Drops in a row share the last item; so the ring holds at
// most limit+1 items (plus notices).
type queue struct {
	mu      sync.Mutex
	items   []Delivery // ring
	head, n int
	limit   int
	maxLen  int
	signal  chan struct{}
	// server names the client in the DeliveryOverflow items the queue
	// makes itself: consumers route deliveries by server, and an overflow
	// without one reaches no tracker, so nothing resynchronises.
	server string
}

// The ring starts at initialQueue items, doubles as needed, and is
// replaced by a small one when it empties after growing past shrinkAbove.
const (
	initialQueue = 64
	shrinkAbove  = 1024
)

func newQueue(limit int, server string) *queue {
	return &queue{items: make([]Delivery, initialQueue), limit: limit, signal: make(chan struct{}, 1), server: server}
}

func (q *queue) grow() {
	items := make([]Delivery, len(q.items)*2)
	for i := 0; i < q.n; i++ {
		items[i] = q.items[(q.head+i)%len(q.items)]
	}
	q.items, q.head = items, 0
}

// push appends d and reports false if it was dropped.
func (q *queue) push(d Delivery, force bool) bool {
	q.mu.Lock()
	dropped := !force && q.n >= q.limit
	if dropped {
		if q.n > 0 {
			if last := &q.items[(q.head+q.n-1)%len(q.items)]; last.Kind == DeliveryOverflow {
				last.Dropped++
				q.mu.Unlock()
				return false
			}
		}
		d = Delivery{Server: q.server, Kind: DeliveryOverflow, Dropped: 1, Received: time.Now()}
	}
	if q.n == len(q.items) {
		q.grow()
	}
	q.items[(q.head+q.n)%len(q.items)] = d
	q.n++
	if q.n > q.maxLen {
		q.maxLen = q.n
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
	return !dropped
}

// pop waits for the next item: an event, a notice or a DeliveryOverflow
// announcing drops, in stream order.
func (q *queue) pop(ctx context.Context) (Delivery, bool) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			d := q.items[q.head]
			q.items[q.head] = Delivery{}
			q.head = (q.head + 1) % len(q.items)
			q.n--
			if q.n == 0 && len(q.items) > shrinkAbove {
				// A burst grew the ring; let it go once drained rather
				// than hold its peak for the life of the connection.
				q.items, q.head = make([]Delivery, initialQueue), 0
			}
			q.mu.Unlock()
			return d, true
		}
		q.mu.Unlock()
		select {
		case <-q.signal:
		case <-ctx.Done():
			return Delivery{}, false
		}
	}
}

func (q *queue) stats() (n, maxLen int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, q.maxLen
}
