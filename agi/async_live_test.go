package agi

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
	"github.com/voipsdn/voipsdn/call"
)

// TestAsyncLive: voipsdn's AMI client against the simulator over TCP.
// A call whose dialplan runs AGI(agi:async,qos,emergency) is classified,
// its channel gets VOIPSDN_QOS=emergency and leaves AsyncAGI; a call run
// by another application's AGI(agi:async) is left alone.
func TestAsyncLive(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	var async *Async
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "pbx1", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Username: "admin",
		Secret: ami.NewSecret("s3cret"), Auth: "md5", PingInterval: time.Second,
	}, func(d ami.Delivery) { async.Handle(d) })
	if err != nil {
		t.Fatal(err)
	}
	sk := &sink{}
	async = NewAsync(client, AsyncOptions{Server: "pbx1", Classifier: NewClassifier([]string{"emergency"}, nil)}, sk.emit)
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = async.Run(ctx) }()
	defer func() {
		cancel()
		wg.Wait()
		settle(t, base)
	}()
	waitFor(t, "login", func() bool { return client.Stats().Connected })

	ap := netip.MustParseAddrPort
	ours, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "403", FromRTP: ap("10.254.0.201:20000"), ToRTP: ap("10.254.0.202:20002"),
		AnswerAfter: time.Minute, AsyncAGI: []string{"qos", "emergency"}})
	other, _ := sim.PlaceCall(amisim.CallSpec{From: "203", To: "403", FromRTP: ap("10.254.0.203:20004"), ToRTP: ap("10.254.0.204:20006"),
		AnswerAfter: time.Minute, AsyncAGI: []string{}})
	waitFor(t, "both sessions seen and ours answered", func() bool {
		st := async.Stats()
		return st.Started == 2 && st.Ignored == 1 && st.Answered == 1
	})
	evs := sk.classified()
	if len(evs) != 1 {
		t.Fatalf("events %+v", evs)
	}
	ev := evs[0]
	ev.Time = time.Time{}
	if want := (call.Classified{Header: call.Header{Server: "pbx1", Call: ours}, Uniqueid: ours, Class: "emergency"}); ev != want {
		t.Errorf("event %+v, want %+v", ev, want)
	}
	// The channel has the answer, and has left AsyncAGI (ASYNCAGI BREAK).
	caller := func(id string) string {
		resp, err := client.Action(ctx, ami.NewAction("Status"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.Events {
			if e.Get("Uniqueid") == id {
				return e.Get("Channel")
			}
		}
		t.Fatalf("no channel %s", id)
		return ""
	}
	resp, err := client.Action(ctx, ami.NewAction("Getvar", "Channel", caller(ours), "Variable", VarResult))
	if err != nil || resp.Get("Value") != "emergency" {
		t.Errorf("VOIPSDN_QOS on the channel: %q %v", resp.Get("Value"), err)
	}
	if _, err := client.Action(ctx, ami.NewAction("AGI", "Channel", caller(ours), "Command", "VERBOSE x", "CommandID", "t")); err == nil {
		t.Error("channel still in AsyncAGI after voipsdn's answer")
	}
	// The other application's channel is untouched: still in AsyncAGI,
	// no VOIPSDN_QOS.
	resp, _ = client.Action(ctx, ami.NewAction("Getvar", "Channel", caller(other), "Variable", VarResult))
	if resp.Get("Value") != "" {
		t.Errorf("other application's channel got VOIPSDN_QOS=%q", resp.Get("Value"))
	}
	waitFor(t, "exec results checked", func() bool {
		async.mu.Lock()
		defer async.mu.Unlock()
		return len(async.pending) == 0
	})
	if st := async.Stats(); st.Failed != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestAsyncRescan: sessions that started while voipsdn was not connected
// (before its first login, or during a reconnect) wait in AGI; the
// rescan after each login finds them in CoreShowChannels and answers
// them, once.
func TestAsyncRescan(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	ap := netip.MustParseAddrPort
	spec := func(from string) amisim.CallSpec {
		return amisim.CallSpec{From: from, To: "403", FromRTP: ap("10.254.0.201:20000"), ToRTP: ap("10.254.0.202:20002"),
			AnswerAfter: time.Minute, AsyncAGI: []string{"qos", "emergency"}}
	}
	early, _ := sim.PlaceCall(spec("201")) // before voipsdn connects
	var async *Async
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "pbx1", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Username: "admin",
		Secret: ami.NewSecret("s3cret"), Auth: "md5", PingInterval: time.Second,
	}, func(d ami.Delivery) { async.Handle(d) },
		ami.WithBackoff(ami.Backoff{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2}),
		ami.WithConnectBackoff(ami.Backoff{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2}))
	if err != nil {
		t.Fatal(err)
	}
	sk := &sink{}
	async = NewAsync(client, AsyncOptions{Server: "pbx1", Classifier: NewClassifier([]string{"emergency"}, nil)}, sk.emit)
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = async.Run(ctx) }()
	defer func() {
		cancel()
		wg.Wait()
		settle(t, base)
	}()
	waitFor(t, "the early call rescued", func() bool { return async.Stats().Rescued == 1 })
	live, _ := sim.PlaceCall(spec("202"))
	waitFor(t, "the live call answered", func() bool { return async.Stats().Answered == 2 })
	// A reconnect rescans again: both sessions have left AGI, nothing more.
	sim.DropConnections()
	waitFor(t, "reconnected", func() bool { return client.Stats().Connects >= 2 && client.Stats().Connected })
	// Lost while disconnected: a session that starts now is found by the
	// next rescan.
	sim.DropConnections()
	lost, _ := sim.PlaceCall(spec("203"))
	waitFor(t, "the lost call rescued", func() bool { return async.Stats().Rescued == 2 })
	var calls []string
	for _, ev := range sk.classified() {
		calls = append(calls, ev.Call)
	}
	if len(calls) != 3 || calls[0] != early || calls[1] != live || calls[2] != lost {
		t.Errorf("classified calls %v, want %s %s %s", calls, early, live, lost)
	}
	if st := async.Stats(); st.Answered != 3 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
}
