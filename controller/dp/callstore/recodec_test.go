package callstore

import (
	"maps"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// TestCodecLearnedLateKeepsFlows: a leg first reported without its codec
// (one source of two does not know it yet) and then with it keeps its
// flows and meter ids; only a meter whose rate changes is modified.
func TestCodecLearnedLateKeepsFlows(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e, _, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	leg := twoLegs("c1")[0]
	leg.Codec = ""
	if err := e.MediaKnown(ctx, leg, time.Now()); err != nil {
		t.Fatal(err)
	}
	sync1(t, e, ctx)
	snapshot := func() map[of13.FlowKey]of13.Flow {
		sw.mu.Lock()
		defer sw.mu.Unlock()
		return maps.Clone(sw.flows[1])
	}
	before := snapshot()
	if len(before) != 4 {
		t.Fatalf("%d flows installed; want 4", len(before))
	}
	rate := func() map[uint32]uint32 {
		sw.mu.Lock()
		defer sw.mu.Unlock()
		out := map[uint32]uint32{}
		for id := range sw.meters[1] {
			out[id] = sw.rates[id]
		}
		return out
	}
	defaults := rate()

	// The default rate is ulaw's: learning the codec is ulaw sends nothing.
	applies := sw.applies
	leg.Codec = "ulaw"
	e.MediaKnown(ctx, leg, time.Now()) //nolint:errcheck
	sync1(t, e, ctx)
	if sw.applies != applies {
		t.Errorf("ulaw after the default sent %d batches; want none", sw.applies-applies)
	}

	// G.729 is policed lower: the same meters get the new rate in place.
	leg.Codec = "g729"
	e.MediaKnown(ctx, leg, time.Now()) //nolint:errcheck
	sync1(t, e, ctx)
	if after := snapshot(); !maps.EqualFunc(before, after, func(a, b of13.Flow) bool { return a.Instr.Meter == b.Instr.Meter }) {
		t.Errorf("flows changed with the codec:\nbefore %v\nafter  %v", before, after)
	}
	got := rate()
	if len(got) != len(defaults) {
		t.Fatalf("meters %v; want the same ids as %v", got, defaults)
	}
	for id, r := range got {
		if _, ok := defaults[id]; !ok || r != 35 { // 31.2 kbit/s + 10% headroom, rounded up
			t.Errorf("meter %d: rate %d (ids before %v); want 35 on the same ids", id, r, defaults)
		}
	}

	// The call still ends cleanly: flows and meters go.
	if err := e.CallEnded(ctx, leg.Server, leg.Call); err != nil {
		t.Fatal(err)
	}
	sync1(t, e, ctx)
	if f, m := sw.counts(1); f != 0 || m != 0 {
		t.Fatalf("after hang-up: %d flows, %d meters", f, m)
	}
}
