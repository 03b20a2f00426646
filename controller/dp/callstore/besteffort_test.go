package callstore

import (
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

// TestEngineBestEffortLegs: legs of a call admission control refused
// (qos.Leg.BestEffort) get their flows like any leg, all setting DSCP 0,
// and removed with the call; on a server that may go direct, no
// phone-to-phone streams are prepared for them (those would be the
// policy's EF, and a leg reported direct would claim them), while an
// admitted call's are.
func TestEngineBestEffortLegs(t *testing.T) {
	for _, be := range []bool{false, true} {
		sw := newFakeSwitches(labLocator())
		e, _, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
		sync1(t, e, ctx)
		if err := e.Scan(ctx, 1); err != nil {
			t.Fatal(err)
		}
		sync1(t, e, ctx)
		for _, l := range twoLegs("c1") {
			l.MayGoDirect, l.BestEffort = true, be
			if err := e.MediaKnown(ctx, l, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		sync1(t, e, ctx)
		// Two legs x two directions x (RTP + RTCP), plus, for the
		// admitted call, two prepared direct streams x (RTP + RTCP).
		want := 12
		if be {
			want = 8
		}
		if f, _ := sw.counts(1); f != want {
			t.Fatalf("best effort %v: %d flows, want %d", be, f, want)
		}
		sw.mu.Lock()
		for _, f := range sw.flows[1] {
			if d := qos.RuleOf(&f).DSCP; be && d != 0 || !be && d != 46 {
				t.Errorf("best effort %v: flow sets DSCP %d: %s", be, d, f.String())
			}
		}
		sw.mu.Unlock()
		if err := e.CallEnded(ctx, "pbx1", "c1"); err != nil {
			t.Fatal(err)
		}
		sync1(t, e, ctx)
		if f, m := sw.counts(1); f != 0 || m != 0 {
			t.Fatalf("best effort %v: %d flows, %d meters left after hang-up", be, f, m)
		}
	}
}
