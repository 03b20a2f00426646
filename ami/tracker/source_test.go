package tracker_test

import (
	"context"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// TestSourceMarksItsViewIncomplete: the AMI source says Unsynced when its
// connection comes up and when it drops, each time before the Resynced
// that ends the tracker's resync, so a consumer never sweeps on a view
// the source has not rebuilt. Its hooks see every delivery.
func TestSourceMarksItsViewIncomplete(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "u", Secret: "p", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Go(func() { _ = sim.Serve(ctx, ln) })
	cfg := ami.ServerConfig{Name: "pbx1", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Username: "u", Secret: ami.NewSecret("p")}
	src, err := tracker.NewSource(tracker.DriverOptions{Tracker: tracker.Options{Server: "pbx1"}},
		func(h ami.Handler) (*ami.Client, error) {
			return ami.NewClient(cfg, h, ami.WithBackoff(ami.Backoff{Initial: 50 * time.Millisecond, Max: time.Second, Factor: 2}))
		})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "pbx1/ami" || src.Server() != "pbx1" || src.Client() == nil {
		t.Fatalf("source %q server %q", src.Name(), src.Server())
	}
	var mu sync.Mutex
	var connects int
	src.Hook(func(dl ami.Delivery) {
		if dl.Kind == ami.DeliveryConnected {
			mu.Lock()
			connects++
			mu.Unlock()
		}
	})
	var got collector
	wg.Go(func() { _ = src.Run(ctx, got.add) })
	defer func() {
		cancel()
		wg.Wait()
		checkGoroutines(t, before)
	}()
	order := func() []string {
		var kinds []string
		for _, ev := range got.all() {
			switch ev.(type) {
			case tracker.Unsynced:
				kinds = append(kinds, "unsynced")
			case tracker.Resynced:
				kinds = append(kinds, "resynced")
			}
		}
		return kinds
	}
	eventually(t, "first resync", func() bool { return len(order()) >= 2 })
	sim.DropConnections()
	eventually(t, "resync after the drop", func() bool {
		k := order()
		return len(k) >= 2 && k[len(k)-1] == "resynced" && countOf(k, "resynced") >= 2
	})
	k := order()
	if k[0] != "unsynced" || k[1] != "resynced" {
		t.Errorf("events %v: want unsynced before the first resynced", k)
	}
	// Between the two Resynced there is an Unsynced.
	r1 := index(k, "resynced")
	r2 := r1 + 1 + index(k[r1+1:], "resynced")
	if index(k[r1+1:r2], "unsynced") < 0 {
		t.Errorf("events %v: no unsynced between the resyncs", k)
	}
	mu.Lock()
	defer mu.Unlock()
	if connects < 2 {
		t.Errorf("the hook saw %d connects, want 2", connects)
	}
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

func index(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}
