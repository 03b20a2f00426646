package tracker_test

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// TestDriverRecoversAndResyncs: a panic while acting on an event (here in
// emit, on the first MediaKnown) is recovered by the driver, counted,
// reported to OnPanic, and answered by a resync; the driver goes on
// following calls.
func TestDriverRecoversAndResyncs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	var got collector
	var panicked, hooked atomic.Int32
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{Name: "sim", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Username: "admin", Secret: ami.NewSecret("s3cret")}, func(d ami.Delivery) { drv.Handle(d) })
	if err != nil {
		t.Fatal(err)
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{
		Tracker: tracker.Options{Server: "sim", DirectMediaDelay: -1},
		OnPanic: func(server, component string) {
			if server == "sim" && component == tracker.PanicComponent {
				hooked.Add(1)
			}
		},
	}, func(ev tracker.Event) {
		if _, ok := ev.(tracker.MediaKnown); ok && panicked.Add(1) == 1 {
			panic("bug")
		}
		got.add(ev)
	})
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = drv.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	resyncs := func() int {
		n := 0
		for _, ev := range got.all() {
			if _, ok := ev.(tracker.Resynced); ok {
				n++
			}
		}
		return n
	}
	eventually(t, "first resync", func() bool { return resyncs() == 1 })
	ap := netip.MustParseAddrPort
	id, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", FromRTP: ap("10.0.0.1:4000"), ToRTP: ap("10.0.0.2:4000"),
		AnswerAfter: time.Millisecond})
	eventually(t, "the panic recovered and a resync", func() bool {
		return drv.Panics() == 1 && hooked.Load() == 1 && resyncs() == 2
	})
	// Still following: the call's hangup is reported.
	_ = sim.Hangup(id, 16)
	eventually(t, "call end", func() bool {
		_, ok := got.find(func(ev tracker.Event) bool { e, ok := ev.(tracker.CallEnded); return ok && e.Call == id })
		return ok
	})
}
