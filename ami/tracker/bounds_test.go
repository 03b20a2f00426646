package tracker_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

func newchannel(uid, linked string) ami.Message {
	return ami.Message{Fields: []ami.Field{{Key: "Event", Value: "Newchannel"},
		{Key: "Channel", Value: "PJSIP/x-" + uid}, {Key: "ChannelStateDesc", Value: "Ring"},
		{Key: "Uniqueid", Value: uid}, {Key: "Linkedid", Value: linked}}}
}

// TestNewchannelStormBounded: a server announcing channels without end
// (issue 16: 1.08M Newchannel events gave 955k ghost calls and 1.15 GB)
// leaves the tracker within max_calls and max_legs, counts every refused
// channel once, asks a resync, and that resync expires the calls the
// server does not confirm.
func TestNewchannelStormBounded(t *testing.T) {
	const maxCalls, maxLegs, storm = 1000, 1500, 1_000_000
	tr := tracker.New(tracker.Options{Server: "pbx", MaxCalls: maxCalls, MaxLegs: maxLegs})
	now := time.Unix(1795500000, 0)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	refused := map[string]int{}
	for i := range storm {
		uid := "1795500000." + strconv.Itoa(i)
		linked := uid
		if i%4 == 1 { // some calls get a second leg
			linked = "1795500000." + strconv.Itoa(i-1)
		}
		for _, ev := range tr.Apply(newchannel(uid, linked), now) {
			if r, ok := ev.(tracker.ChannelRefused); ok {
				refused[r.Limit]++
			}
		}
		// The same channel again (a Newstate of a refused channel) is
		// not counted twice.
		if i%100 == 0 {
			for _, ev := range tr.Apply(newchannel(uid, linked), now) {
				if _, ok := ev.(tracker.ChannelRefused); ok && i > 2*maxLegs {
					t.Fatalf("channel %s refused twice", uid)
				}
			}
		}
	}
	calls, legs := tr.Calls()
	if calls > maxCalls || legs > maxLegs {
		t.Fatalf("tracking %d calls, %d legs; limits %d, %d", calls, legs, maxCalls, maxLegs)
	}
	if n := refused[tracker.LimitCalls] + refused[tracker.LimitLegs]; n != storm-legs {
		t.Fatalf("%d refusals reported (%v), want %d", n, refused, storm-legs)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
		t.Fatalf("heap grew by %d MB over the storm", grew>>20)
	}
	var resync []tracker.Request
	for _, r := range tr.TakeRequests() {
		if r.Kind == tracker.KindResync {
			resync = append(resync, r)
		}
	}
	if len(resync) != 1 {
		t.Fatalf("%d resyncs asked within %v, want 1", len(resync), time.Duration(0))
	}
	// The server has none of these channels: one resync expires them all.
	evs := tr.Answer(resync[0], ami.Response{}, nil, now)
	if calls, legs := tr.Calls(); calls != 0 || legs != 0 {
		t.Fatalf("after the resync: %d calls, %d legs", calls, legs)
	}
	if _, ok := evs[len(evs)-1].(tracker.Resynced); !ok {
		t.Fatalf("resync ended with %T", evs[len(evs)-1])
	}
	// And there is room again.
	if evs := tr.Apply(newchannel("2.1", "2.1"), now); len(evs) != 1 {
		t.Fatalf("new call after the resync: %v", evs)
	} else if _, ok := evs[0].(tracker.CallStarted); !ok {
		t.Fatalf("new call after the resync: %T", evs[0])
	}
}

// bigTracker returns a tracker following n single-leg calls and a
// snapshot in which none of them is up but n others are.
func bigTracker(n int) (*tracker.Tracker, tracker.Request, ami.Response) {
	tr := tracker.New(tracker.Options{Server: "pbx", Passive: true, MaxCalls: 2 * n})
	now := time.Unix(1795500000, 0)
	for i := range n {
		uid := "1." + strconv.Itoa(i)
		tr.Apply(newchannel(uid, uid), now)
	}
	req := tr.ResyncRequest()
	resp := ami.Response{Events: make([]ami.Message, 0, n)}
	for i := range n {
		uid := "2." + strconv.Itoa(i)
		m := newchannel(uid, uid)
		m.Fields[0].Value = "CoreShowChannel"
		resp.Events = append(resp.Events, m)
	}
	return tr, req, resp
}

// TestResyncHonoursCancel: a resync of a large server stops when its
// context ends, and a stopped resync does not claim to be complete.
func TestResyncHonoursCancel(t *testing.T) {
	const n = 50_000
	tr, req, resp := bigTracker(n)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	evs := tr.AnswerContext(ctx, req, resp, nil, time.Now())
	if len(evs) >= n {
		t.Fatalf("a cancelled resync still made %d events", len(evs))
	}
	for _, ev := range evs {
		if _, ok := ev.(tracker.Resynced); ok {
			t.Fatal("a cancelled resync reported Resynced")
		}
	}
}

// TestDriverStopsDuringLargeResync: shutdown while a driver acts on the
// resync of a server with thousands of channels (the real simulator, over
// TCP) returns without acting on them all.
func TestDriverStopsDuringLargeResync(t *testing.T) {
	const calls = 5000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	defer func() { cancel(); wg.Wait() }()
	for i := range calls {
		if _, err := sim.PlaceCall(amisim.CallSpec{From: fmt.Sprint(1000 + i), To: "202", AnswerAfter: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	dctx, stop := context.WithCancel(ctx)
	var emitted atomic.Int64
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{Name: "pbx", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Username: "admin", Secret: ami.NewSecret("s3cret"), PingInterval: -1}, func(d ami.Delivery) { drv.Handle(d) })
	if err != nil {
		t.Fatal(err)
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: tracker.Options{Server: "pbx"}}, func(ev tracker.Event) {
		if emitted.Add(1) == 1 {
			stop() // shutdown arrives as the resync's first call is acted on
		}
	})
	wg.Add(1)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	if err := drv.Run(dctx); err == nil {
		t.Fatal("driver ended without error")
	}
	if n := emitted.Load(); n == 0 || n >= 2*calls {
		t.Fatalf("%d events acted on after shutdown began, of %d", n, 2*calls)
	}
}

// BenchmarkResync: reconcile n known legs, all gone, with n new channels.
func BenchmarkResync(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				tr, req, resp := bigTracker(n)
				b.StartTimer()
				tr.Answer(req, resp, nil, time.Now())
			}
		})
	}
}
