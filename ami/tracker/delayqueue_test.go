package tracker

import (
	"testing"
	"time"
)

func TestDelayQueueReleasesInTimeOrder(t *testing.T) {
	var q delayQueue
	t0 := time.Unix(1000, 0)
	if !q.push(Request{Leg: "b", Delay: time.Second}, t0.Add(2*time.Second)) {
		t.Fatal("the only request is the earliest")
	}
	if !q.push(Request{Leg: "a"}, t0.Add(time.Second)) {
		t.Fatal("an earlier request must bring the timer forward")
	}
	if q.push(Request{Leg: "c"}, t0.Add(3*time.Second)) {
		t.Fatal("a later request must not move the timer")
	}
	if got := q.popDue(t0.Add(500*time.Millisecond), nil); len(got) != 0 {
		t.Fatalf("released early: %+v", got)
	}
	got := q.popDue(t0.Add(2*time.Second), nil)
	if len(got) != 2 || got[0].Leg != "a" || got[1].Leg != "b" || got[1].Delay != 0 {
		t.Fatalf("due at 2 s: %+v", got)
	}
	if next, ok := q.next(); !ok || !next.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("next %v %v", next, ok)
	}
	if got := q.popDue(t0.Add(time.Hour), nil); len(got) != 1 || q.h != nil {
		t.Fatalf("last: %+v, queue %v", got, q.h)
	}
	if _, ok := q.next(); ok {
		t.Fatal("empty queue has a next")
	}
}
