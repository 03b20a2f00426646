package ami

import (
	"context"
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
