package ami

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// The delivery ring grows for a burst and is let go once drained, so a
// client does not hold its peak for the life of the connection.
func TestQueueShrinksAfterBurst(t *testing.T) {
	q := newQueue(1<<16, "pbx")
	const burst = 5000
	for i := range burst {
		if !q.push(Delivery{Kind: DeliveryEvent, Dropped: uint64(i)}, false) {
			t.Fatalf("push %d dropped", i)
		}
	}
	if len(q.items) < burst {
		t.Fatalf("ring of %d for %d items", len(q.items), burst)
	}
	for i := range burst {
		d, ok := q.pop(context.Background())
		if !ok || d.Dropped != uint64(i) {
			t.Fatalf("pop %d: %+v %v", i, d, ok)
		}
	}
	if len(q.items) != initialQueue {
		t.Fatalf("drained ring still holds %d items", len(q.items))
	}
	q.push(Delivery{Kind: DeliveryEvent, Dropped: 1}, false)
	if d, ok := q.pop(context.Background()); !ok || d.Dropped != 1 {
		t.Fatalf("after shrinking: %+v %v", d, ok)
	}
}

// A drop is announced where it happened in the stream: after the events
// queued before it, not ahead of them. A consumer resynchronising on an
// announcement that jumped the queue took the channels of those events as
// newer than its snapshot, and a channel whose Hangup was the dropped
// event stayed up as a ghost.
func TestQueueAnnouncesDropsInStreamOrder(t *testing.T) {
	const limit = 4
	q := newQueue(limit, "pbx1")
	ev := func(i int) Delivery {
		return Delivery{Kind: DeliveryEvent, Msg: Message{Fields: []Field{{"Seq", fmt.Sprint(i)}}}}
	}
	for i := range limit {
		if !q.push(ev(i), false) {
			t.Fatalf("push %d dropped below the limit", i)
		}
	}
	for i := range 3 { // dropped: the queue is full
		if q.push(ev(100+i), false) {
			t.Fatalf("push %d past the limit was kept", 100+i)
		}
	}
	q.push(Delivery{Kind: DeliveryDisconnected}, true) // a notice is never dropped
	var got []string
	for q.n > 0 {
		d, _ := q.pop(context.Background())
		switch d.Kind {
		case DeliveryEvent:
			got = append(got, d.Msg.Get("Seq"))
		case DeliveryOverflow:
			if d.Server != "pbx1" {
				t.Errorf("overflow names server %q", d.Server)
			}
			got = append(got, fmt.Sprintf("overflow(%d)", d.Dropped))
		default:
			got = append(got, d.Kind.String())
		}
	}
	want := "0 1 2 3 overflow(3) disconnected"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("delivered %q, want %q", s, want)
	}
	// Room again: events, then a new drop, announced after them; the ring
	// never holds more than limit+1 items.
	for i := range limit + 3 {
		q.push(ev(200+i), false)
		if q.n > limit+1 {
			t.Fatalf("%d items queued with a limit of %d", q.n, limit)
		}
	}
	got = got[:0]
	for q.n > 0 {
		d, _ := q.pop(context.Background())
		if d.Kind == DeliveryOverflow {
			got = append(got, fmt.Sprintf("overflow(%d)", d.Dropped))
		} else {
			got = append(got, d.Msg.Get("Seq"))
		}
	}
	if s, want := strings.Join(got, " "), "200 201 202 203 overflow(3)"; s != want {
		t.Fatalf("delivered %q, want %q", s, want)
	}
}
