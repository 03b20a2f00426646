package tracker_test

import (
	"context"
	"fmt"
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

// countingConn counts the actions a driver sends through a real client.
type countingConn struct {
	c      *ami.Client
	resync atomic.Int32
}

func (k *countingConn) Action(ctx context.Context, a ami.Action) (ami.Response, error) {
	if a.Name == "CoreShowChannels" {
		k.resync.Add(1)
	}
	return k.c.Action(ctx, a)
}

// TestOverflowResyncsItsServer: when the client's event queue overflows
// while calls hang up, the Hangups are lost. The overflow must reach the
// server's tracker (deliveries are routed by server name, as the voice
// service and Follow do), which asks CoreShowChannels at once, and the
// calls whose Hangups were dropped are gone after that one resync.
func TestOverflowResyncsItsServer(t *testing.T) {
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
	drivers := map[string]*tracker.Driver{}
	var unrouted atomic.Int32
	var paused sync.Mutex // held: deliveries wait, and the client's queue fills
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "pbx1", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Username: "admin",
		Secret: ami.NewSecret("s3cret"), EventQueue: 32,
	}, func(d ami.Delivery) {
		paused.Lock()
		//lint:ignore SA2001 the mutex is a gate: held, deliveries wait here
		paused.Unlock()
		if drv := drivers[d.Server]; drv != nil {
			drv.Handle(d)
		} else {
			unrouted.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := &countingConn{c: client}
	drivers["pbx1"] = tracker.NewDriver(conn, tracker.DriverOptions{Tracker: tracker.Options{Server: "pbx1", DirectMediaDelay: -1}}, got.add)
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = drivers["pbx1"].Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	resynced := func() int {
		n := 0
		for _, ev := range got.all() {
			if _, ok := ev.(tracker.Resynced); ok {
				n++
			}
		}
		return n
	}
	eventually(t, "first resync", func() bool { return resynced() == 1 })

	media := func() int {
		n := 0
		for _, ev := range got.all() {
			if _, ok := ev.(tracker.MediaKnown); ok {
				n++
			}
		}
		return n
	}
	// One call at a time, so that no event is dropped while they start.
	const calls = 20
	var ids []string
	for i := range calls {
		id, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond,
			FromRTP: netip.MustParseAddrPort(fmt.Sprintf("10.0.1.%d:4000", i+1)),
			ToRTP:   netip.MustParseAddrPort(fmt.Sprintf("10.0.2.%d:4000", i+1))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		eventually(t, "media of call "+id, func() bool { return media() == 2*(i+1) })
	}
	if client.Stats().EventsDropped != 0 {
		t.Fatal("events dropped while the calls started")
	}
	before, r0 := conn.resync.Load(), resynced()

	// Hang every call up while the consumer is stalled: far more events
	// than the queue holds, so most Hangups are dropped.
	paused.Lock()
	for _, id := range ids {
		if err := sim.Hangup(id, 16); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "events dropped", func() bool { return client.Stats().EventsDropped > 0 })
	paused.Unlock()

	eventually(t, "resync after the overflow", func() bool { return resynced() > r0 })
	if n := unrouted.Load(); n != 0 {
		t.Fatalf("%d deliveries named no known server", n)
	}
	// Drops announced while the first resync is out cost one more, no
	// matter how many announcements.
	if n := conn.resync.Load() - before; n < 1 || n > 2 {
		t.Fatalf("%d CoreShowChannels after the overflow, want 1 or 2", n)
	}
	ended := map[string]bool{}
	for _, ev := range got.all() {
		if e, ok := ev.(tracker.CallEnded); ok {
			ended[e.Call] = true
		}
	}
	for _, id := range ids {
		if !ended[id] {
			t.Errorf("call %s still up after the resync (a ghost)", id)
		}
	}
}
