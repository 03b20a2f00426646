package tracker

import (
	"container/heap"
	"time"
)

// delayQueue holds requests until their time, earliest first. It is the
// driver's, used from its goroutine only.
type delayQueue struct{ h delayHeap }

type delayed struct {
	at  time.Time
	req Request
}

// push parks req until at and reports whether it is now the earliest, so
// the caller's timer must be brought forward.
func (q *delayQueue) push(req Request, at time.Time) bool {
	req.Delay = 0
	heap.Push(&q.h, delayed{at: at, req: req})
	return !q.h[0].at.Before(at)
}

// popDue appends the requests due by now to out, in time order.
func (q *delayQueue) popDue(now time.Time, out []Request) []Request {
	for len(q.h) > 0 && !q.h[0].at.After(now) {
		out = append(out, heap.Pop(&q.h).(delayed).req)
	}
	if len(q.h) == 0 {
		q.h = nil // a burst's array goes with it
	}
	return out
}

// next returns the earliest time a request is due.
func (q *delayQueue) next() (time.Time, bool) {
	if len(q.h) == 0 {
		return time.Time{}, false
	}
	return q.h[0].at, true
}

type delayHeap []delayed

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(delayed)) }
func (h *delayHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
