package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/app"
)

// TestLoadAgainstController runs the emulated switches against an
// in-process controller with the configuration -write-config produces:
// every packet-in from a new MAC must be answered with a flow-mod.
func TestLoadAgainstController(t *testing.T) {
	t.Run("window", func(t *testing.T) {
		testLoad(t, params{switches: 2, dpidBase: 7, ports: 8, vid: 100, window: 1, warmup: 50 * time.Millisecond,
			duration: 300 * time.Millisecond, timeout: time.Second})
	})
	// Open loop: the switches keep to their schedule, never ahead of it.
	t.Run("rate", func(t *testing.T) {
		p := params{switches: 2, dpidBase: 7, ports: 8, vid: 100, window: 1, rate: 2000, warmup: 50 * time.Millisecond,
			duration: 300 * time.Millisecond, timeout: time.Second}
		res := testLoad(t, p)
		// The pacer started before the warm-up, and a late pacer sends
		// what was due in a burst: what is counted while measuring can
		// exceed rate x measuring time, but never what was due since the
		// pacer started (half again for slack). A pacer that ignored the
		// rate would.
		if limit := p.rate*(p.warmup+res.elapsed).Seconds()*1.5 + 1; float64(res.sent) > limit {
			t.Errorf("sent %d packet-ins in %s at %v/s: ahead of the schedule", res.sent, res.elapsed, p.rate)
		}
	})
}

func testLoad(t *testing.T, p params) *result {
	path := filepath.Join(t.TempDir(), "ofload.yaml")
	if err := os.WriteFile(path, []byte(faucetConfig(p)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Options{ConfigPath: path, OFListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for a.Config() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	p.controller = a.OFAddr().String()
	res, err := load(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.sent == 0 || res.answered == 0 || res.expired != 0 {
		t.Errorf("sent %d, answered %d, unanswered %d: every packet-in should be answered", res.sent, res.answered, res.expired)
	}
	if res.flowMods < res.answered {
		t.Errorf("%d flow-mods for %d answered packet-ins", res.flowMods, res.answered)
	}
	if len(res.lat) != int(res.answered) {
		t.Errorf("%d latency samples for %d answers", len(res.lat), res.answered)
	}
	return res
}
