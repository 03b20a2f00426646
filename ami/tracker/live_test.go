package tracker_test

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// collector gathers emitted events for polling.
type collector struct {
	mu  sync.Mutex
	evs []tracker.Event
}

func (c *collector) add(ev tracker.Event) {
	c.mu.Lock()
	c.evs = append(c.evs, ev)
	c.mu.Unlock()
}

// find returns the first event matching f.
func (c *collector) find(f func(tracker.Event) bool) (tracker.Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.evs {
		if f(ev) {
			return ev, true
		}
	}
	return nil, false
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// TestLiveReconnectResync follows two calls on the simulator, loses the
// connection, misses one call's hangup while disconnected, and must close
// that call on resync while still following the other.
func TestLiveReconnectResync(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()

	port := ln.Addr().(*net.TCPAddr).Port
	var got collector
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "sim", Host: "127.0.0.1", Port: port, Username: "admin",
		Secret: ami.NewSecret("s3cret"), Auth: "md5", PingInterval: time.Second,
	}, func(d ami.Delivery) { drv.Handle(d) },
		ami.WithBackoff(ami.Backoff{Initial: 200 * time.Millisecond, Max: time.Second, Factor: 2}))
	if err != nil {
		t.Fatal(err)
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: tracker.Options{Server: "sim"}}, got.add)
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = drv.Run(ctx) }()
	defer func() {
		cancel()
		wg.Wait()
		checkGoroutines(t, before)
	}()
	eventually(t, "login", func() bool { return client.Stats().Connected })

	ap := netip.MustParseAddrPort
	specA := amisim.CallSpec{From: "201", To: "202", FromRTP: ap("10.254.0.201:20000"), ToRTP: ap("10.254.0.202:20002"), AnswerAfter: 50 * time.Millisecond}
	specB := amisim.CallSpec{From: "203", To: "204", FromRTP: ap("10.254.0.203:20004"), ToRTP: ap("10.254.0.204:20006"), Codec: "alaw", AnswerAfter: 50 * time.Millisecond}
	callA, _ := sim.PlaceCall(specA)
	callB, _ := sim.PlaceCall(specB)

	media := func(call string, remote netip.AddrPort, codec string) func() bool {
		return func() bool {
			_, ok := got.find(func(ev tracker.Event) bool {
				m, ok := ev.(tracker.MediaKnown)
				return ok && m.Call == call && m.Remote == remote && m.Codec == codec &&
					m.Source == tracker.SourceGetvar && m.Local.Addr() == netip.MustParseAddr("10.254.0.1")
			})
			return ok
		}
	}
	for _, c := range []struct {
		call   string
		remote netip.AddrPort
		codec  string
	}{{callA, specA.FromRTP, "ulaw"}, {callA, specA.ToRTP, "ulaw"}, {callB, specB.FromRTP, "alaw"}, {callB, specB.ToRTP, "alaw"}} {
		eventually(t, "media of "+c.remote.String(), media(c.call, c.remote, c.codec))
	}

	// Cut the connection and end call A while nobody listens.
	if n := sim.DropConnections(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	if err := sim.Hangup(callA, 16); err != nil {
		t.Fatal(err)
	}
	eventually(t, "call A closed by resync", func() bool {
		_, ok := got.find(func(ev tracker.Event) bool {
			e, ok := ev.(tracker.CallEnded)
			return ok && e.Call == callA && e.Reason == tracker.ReasonDisconnected && e.Answered
		})
		return ok
	})
	if st := client.Stats(); st.Connects < 2 || st.Disconnects < 1 {
		t.Fatalf("stats after reconnect: %+v", st)
	}
	if _, ended := got.find(func(ev tracker.Event) bool {
		e, ok := ev.(tracker.CallEnded)
		return ok && e.Call == callB
	}); ended {
		t.Fatal("call B reported ended while still up")
	}

	// Call B is still followed: its normal hangup arrives as such.
	if err := sim.Hangup(callB, 16); err != nil {
		t.Fatal(err)
	}
	eventually(t, "call B normal end", func() bool {
		_, ok := got.find(func(ev tracker.Event) bool {
			e, ok := ev.(tracker.CallEnded)
			return ok && e.Call == callB && e.Reason == "" && e.Cause == 16 && e.DialStatus == "ANSWER"
		})
		return ok
	})
	if st := client.Stats(); st.EventsDropped != 0 {
		t.Fatalf("dropped events: %+v", st)
	}
}

// TestFollowTwoServers: one Follow call tracks calls on two simulated
// servers and names the source of each event.
func TestFollowTwoServers(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var cfgs []ami.ServerConfig
	var sims []*amisim.Server
	for _, name := range []string{"pbx1", "pbx2"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sim := amisim.New(amisim.Options{Username: "u", Secret: "p", RTCPInterval: -1})
		sims = append(sims, sim)
		wg.Add(1)
		go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
		cfgs = append(cfgs, ami.ServerConfig{Name: name, Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
			Username: "u", Secret: ami.NewSecret("p")})
	}
	var got collector
	wg.Add(1)
	go func() { defer wg.Done(); _ = tracker.Follow(ctx, cfgs, tracker.DriverOptions{}, got.add) }()
	defer func() {
		cancel()
		wg.Wait()
		checkGoroutines(t, before)
	}()
	ap := netip.MustParseAddrPort
	ids := map[string]string{}
	for i, sim := range sims {
		// Placed once the server has a client, so no event is missed.
		eventually(t, "login", func() bool { return sim.Stats().Sessions == 1 })
		id, _ := sim.PlaceCall(amisim.CallSpec{From: "a", To: "b", FromRTP: ap("10.0.0.1:4000"), ToRTP: ap("10.0.0.2:4000"),
			AnswerAfter: time.Millisecond})
		ids[cfgs[i].Name] = id
	}
	for server, id := range ids {
		eventually(t, "media on "+server, func() bool {
			_, ok := got.find(func(ev tracker.Event) bool {
				m, ok := ev.(tracker.MediaKnown)
				return ok && m.Server == server && m.Call == id && m.Remote == ap("10.0.0.2:4000")
			})
			return ok
		})
	}
	if err := tracker.Follow(ctx, nil, tracker.DriverOptions{}, got.add); err == nil {
		t.Fatal("Follow without servers succeeded")
	}
}

// all returns a copy of the events so far.
func (c *collector) all() []tracker.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]tracker.Event(nil), c.evs...)
}
