package ami_test

import (
	"sync/atomic"
	"testing"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
)

// TestHandlerPanicCostsTheConnection: a consumer bug triggered by a
// server's bytes (here, a handler that panics on an event name that is not
// UTF-8) is recovered at the client's goroutine boundary, logged, counted
// and reported to the hook; the client drops that connection and logs in
// again, so the consumer can resync. The process goes on.
func TestHandlerPanicCostsTheConnection(t *testing.T) {
	h := newHarness(t, nil)
	var hooked atomic.Int32
	var connects atomic.Int32
	c, err := ami.NewClient(h.config("s3cret"), func(d ami.Delivery) {
		if d.Kind == ami.DeliveryConnected {
			connects.Add(1)
		}
		if d.Kind == ami.DeliveryEvent && d.Msg.Event() == "\xff" {
			panic("label value is not valid UTF-8")
		}
	}, ami.WithPanicHook(func(server, component string) {
		if server == "sim" && component == ami.PanicDelivery {
			hooked.Add(1)
		}
	}), ami.WithBackoff(ami.Backoff{Initial: 10e6, Max: 10e6, Factor: 1}))
	if err != nil {
		t.Fatal(err)
	}
	h.run(c)
	eventually(t, "login", func() bool { return connects.Load() == 1 })
	if n, err := h.sim.SendMalformed(amisim.BadUTF8); n != 1 || err != nil {
		t.Fatalf("sent to %d: %v", n, err)
	}
	eventually(t, "the panic recovered and a new login", func() bool {
		return c.Stats().Panics == 1 && hooked.Load() == 1 && connects.Load() == 2 && c.Stats().Connected
	})
}
