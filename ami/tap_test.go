package ami_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
)

// A subscriber sees the events the handler sees, and nothing of an
// event list; Forward keeps the caller's ActionID on the response and the
// list; the hook is handed the client; Greeting is the server's.
func TestSubscribeForwardGreeting(t *testing.T) {
	h := newHarness(t, nil)
	var hooked *ami.Client
	var handled, tapped, listItemsTapped atomic.Int64
	c, err := ami.NewClient(h.config("s3cret"), func(d ami.Delivery) {
		if d.Kind == ami.DeliveryEvent {
			handled.Add(1)
		}
	}, ami.WithClientHook(func(c *ami.Client) { hooked = c }))
	if err != nil {
		t.Fatal(err)
	}
	if hooked != c {
		t.Fatal("the hook was not given the client")
	}
	cancel := c.Subscribe(func(m ami.Message) {
		tapped.Add(1)
		if m.Event() == "CoreShowChannel" {
			listItemsTapped.Add(1)
		}
	})
	h.run(c)
	eventually(t, "login", func() bool { return c.Stats().Connected })
	if g := c.Greeting(); g != amisim.Greeting {
		t.Fatalf("greeting %q", g)
	}
	if _, err := h.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "call events", func() bool { return handled.Load() >= 10 && tapped.Load() == handled.Load() })
	ctx := context.Background()
	r, err := c.Forward(ctx, ami.NewAction("CoreShowChannels"), "gw1-7")
	if err != nil || r.ActionID() != "gw1-7" || len(r.Events) != 2 || r.Events[0].ActionID() != "gw1-7" || r.Complete.Event() != "CoreShowChannelsComplete" {
		t.Fatalf("forwarded CoreShowChannels: %v %v", r, err)
	}
	if listItemsTapped.Load() != 0 {
		t.Fatal("event-list items reached the tap")
	}
	r, err = c.Forward(ctx, ami.NewAction("NoSuchAction"), "gw1-8")
	if err != nil || r.Status() != "Error" {
		t.Fatalf("error response not relayed: %v %v", r, err)
	}
	if _, err := c.Forward(ctx, ami.NewAction("Ping"), "voipsdn-1"); err == nil {
		t.Fatal("the client's own ActionID prefix was accepted")
	}
	cancel()
	before := tapped.Load()
	_ = h.sim.Hangup(h.sim.ActiveCalls()[0], 16)
	eventually(t, "hangup events", func() bool { return handled.Load() > before+3 })
	if tapped.Load() != before {
		t.Fatal("events reached a cancelled subscription")
	}
}
