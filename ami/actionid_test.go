package ami_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
)

// TestConcurrentActionsGetTheirOwnAnswers: 32 actions at once on one
// connection to the simulator, half single responses (Getvar) and half
// event lists (Status), each about a different channel; every caller must
// get the answer to its own action, matched by ActionID.
func TestConcurrentActionsGetTheirOwnAnswers(t *testing.T) {
	h := newHarness(t, nil)
	c, err := ami.NewClient(h.config("s3cret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.run(c)
	eventually(t, "login", func() bool { return c.Stats().Connected })
	const calls = 16 // two channels each: 32 channels, 32 actions
	for i := range calls {
		if _, err := h.sim.PlaceCall(amisim.CallSpec{From: fmt.Sprint(300 + i), To: fmt.Sprint(400 + i), AnswerAfter: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	list, err := c.Action(ctx, ami.NewAction("CoreShowChannels"))
	if err != nil {
		t.Fatal(err)
	}
	uid := map[string]string{} // channel -> Uniqueid
	for _, ev := range list.Events {
		if ev.Event() == "CoreShowChannel" {
			uid[ev.Get("Channel")] = ev.Get("Uniqueid")
		}
	}
	if len(uid) != 2*calls {
		t.Fatalf("%d channels listed, want %d", len(uid), 2*calls)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	i := 0
	for ch, want := range uid {
		status := i%2 == 1
		i++
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if status {
				r, err := c.Action(ctx, ami.NewAction("Status", "Channel", ch))
				if err != nil {
					t.Errorf("Status %s: %v", ch, err)
					return
				}
				if len(r.Events) != 1 || r.Events[0].Get("Channel") != ch || r.Events[0].Get("Uniqueid") != want {
					t.Errorf("Status %s (%s) answered with %v", ch, want, r.Events)
				}
				return
			}
			r, err := c.Action(ctx, ami.NewAction("Getvar", "Channel", ch, "Variable", "CHANNEL(uniqueid)"))
			if err != nil {
				t.Errorf("Getvar %s: %v", ch, err)
				return
			}
			if got := r.Get("Value"); got != want {
				t.Errorf("Getvar CHANNEL(uniqueid) on %s = %q, want %q", ch, got, want)
			}
		}()
	}
	close(start)
	wg.Wait()
	if st := c.Stats(); st.StrayResponses != 0 {
		t.Errorf("%d stray responses", st.StrayResponses)
	}
}
