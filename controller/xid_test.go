package controller

import (
	"testing"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// A barrier's reply releases the messages sent before it, and only those:
// the switch has reported every error they caused.
func TestBarrierReplyTrimsSentMessages(t *testing.T) {
	for _, ring := range []int{8, 1024} {
		tr := newTracker(ring)
		fm := of13.AddFlow(of13.Flow{Priority: 1})
		var before []uint32
		for range 20 {
			before = append(before, tr.record(fm))
		}
		w := &waiter{want: wire.TypeBarrierReply, done: make(chan struct{})}
		bx, err := tr.await(w)
		if err != nil {
			t.Fatal(err)
		}
		after := tr.record(fm)
		tr.complete(bx, nil)
		for _, x := range before {
			if _, _, ok := tr.lookup(x); ok {
				t.Errorf("ring %d: message %d sent before the barrier is still remembered", ring, x)
			}
		}
		if _, name, ok := tr.lookup(after); !ok || name == "" {
			t.Errorf("ring %d: message %d sent after the barrier was forgotten", ring, after)
		}
	}
}
