package gateway_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/gateway"
)

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rig is a simulator, voipsdn's client to it and a gateway in front.
type rig struct {
	sim  *amisim.Server
	up   *ami.Client
	gw   *gateway.Gateway
	addr string
	// upEvents counts the events voipsdn's session received.
	upEvents atomic.Int64
}

func users() []gateway.User {
	return []gateway.User{
		{Name: "wallboard", Secret: ami.NewSecret("wb-secret"), Servers: []string{"pbx1"}},
		{Name: "crm", Secret: ami.NewSecret("crm-secret"), Servers: []string{"pbx1"}, Actions: []string{"Originate"}},
		{Name: "calls", Secret: ami.NewSecret("calls-secret"), Servers: []string{"pbx1"}, Read: []string{"call"}, Events: []string{"Newchannel", "Hangup"}},
	}
}

func newRig(t *testing.T, cfg gateway.Config) *rig {
	t.Helper()
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	r := &rig{sim: amisim.New(amisim.Options{Username: "voipsdn", Secret: "pbx-secret", RTCPInterval: -1, WriteTimeout: 10 * time.Second})}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = r.sim.Serve(ctx, sln) })
	if cfg.Users == nil {
		cfg.Users = users()
	}
	cfg, err = cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	r.gw = gateway.New(cfg, nil)
	r.up, err = ami.NewClient(ami.ServerConfig{Name: "pbx1", Host: "127.0.0.1", Port: sln.Addr().(*net.TCPAddr).Port,
		Username: "voipsdn", Secret: ami.NewSecret("pbx-secret"), PingInterval: -1},
		func(ami.Delivery) {}, ami.WithClientHook(func(c *ami.Client) { r.gw.AddUpstream(c) }))
	if err != nil {
		t.Fatal(err)
	}
	r.up.Subscribe(func(ami.Message) { r.upEvents.Add(1) })
	wg.Go(func() { _ = r.up.Run(ctx) })
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = gln.Addr().String()
	wg.Go(func() { _ = r.gw.Serve(ctx, gln) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		r.gw.Close()
		eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	})
	eventually(t, "voipsdn's login", func() bool { return r.up.Stats().Connected })
	return r
}

// Two clients of different styles at once: each gets only its own
// responses, event lists included, with its own ActionIDs.
func TestConcurrentClientsSeeOnlyTheirResponses(t *testing.T) {
	r := newRig(t, gateway.Config{})
	for i := 0; i < 3; i++ {
		if _, err := r.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "calls up", func() bool { return len(r.sim.ActiveCalls()) == 3 && r.upEvents.Load() > 20 })

	sc := dialSync(t, r.addr, "wallboard", "wb-secret")
	if sc.greeting != amisim.Greeting {
		t.Fatalf("greeting %q, want the PBX's %q", sc.greeting, amisim.Greeting)
	}
	pc := dialPipe(t, r.addr, "crm", "crm-secret")

	var wg sync.WaitGroup
	var syncErr error
	wg.Go(func() {
		for i := 0; i < 20; i++ {
			resp, list, err := sc.doList("CoreShowChannels")
			if err != nil || resp.get("Response") != "Success" || len(list) != 7 || list[6].get("Event") != "CoreShowChannelsComplete" {
				syncErr = err
				if err == nil {
					syncErr = errorf("CoreShowChannels %d: %v, %d list items", i, resp, len(list))
				}
				return
			}
		}
	})
	var chans []chan []wireMsg
	for i := 0; i < 20; i++ {
		name := "CoreShowChannels"
		if i%2 == 1 {
			name = "Ping"
		}
		chans = append(chans, pc.send(name))
	}
	for i, ch := range chans {
		select {
		case got := <-ch:
			if i%2 == 0 && (len(got) != 8 || got[7].get("ListItems") != "6") {
				t.Fatalf("pipelined CoreShowChannels %d: %d messages", i, len(got))
			}
			if i%2 == 1 && got[0].get("Ping") != "Pong" {
				t.Fatalf("pipelined Ping %d: %v", i, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("pipelined action %d: no response", i)
		}
	}
	wg.Wait()
	if syncErr != nil {
		t.Fatal(syncErr)
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if sc.foreign != 0 || pc.foreign != 0 {
		t.Fatalf("responses for other clients: sync client saw %d, pipelining client %d", sc.foreign, pc.foreign)
	}
	if st := r.gw.Stats(); st.ActionsForwarded != 30 || st.ActionsDenied != 0 {
		t.Fatalf("stats %+v", st)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func errorf(format string, a ...any) error {
	return errString(strings.TrimSpace(sprintf(format, a...)))
}

// A read-only user's Originate is refused with Asterisk's words and never
// reaches the PBX; a granted user's reaches it, and the
// OriginateResponse comes back to that client alone with its ActionID.
func TestOriginatePolicy(t *testing.T) {
	r := newRig(t, gateway.Config{})
	ro := dialSync(t, r.addr, "wallboard", "wb-secret")
	resp, err := ro.do("Originate", "Channel", "PJSIP/201", "Exten", "202", "Context", "default", "Async", "true")
	if err != nil || resp.get("Response") != "Error" || resp.get("Message") != "Permission denied" || resp.get("ActionID") != "sync-2" {
		t.Fatalf("read-only Originate: %v %v", resp, err)
	}
	if st := r.sim.Stats(); st.CallsPlaced != 0 {
		t.Fatalf("the simulator placed %d calls for a denied Originate", st.CallsPlaced)
	}
	if st := r.gw.Stats(); st.ActionsDenied != 1 {
		t.Fatalf("denied count %d", st.ActionsDenied)
	}
	// A server the user has not been given is refused too.
	resp, _ = ro.do("Status", "Server", "pbx2")
	if resp.get("Message") != "Permission denied" {
		t.Fatalf("other server: %v", resp)
	}

	rw := dialSync(t, r.addr, "crm", "crm-secret")
	resp, err = rw.do("Originate", "Channel", "PJSIP/201", "Exten", "202", "Context", "default", "Async", "true")
	if err != nil || resp.get("Response") != "Success" {
		t.Fatalf("granted Originate: %v %v", resp, err)
	}
	// Read events until the OriginateResponse.
	var or wireMsg
	for or == nil {
		m, err := readMsg(rw.r)
		if err != nil {
			t.Fatal(err)
		}
		if m.get("Event") == "OriginateResponse" {
			or = m
		}
	}
	if or.get("ActionID") != "sync-2" || or.get("Response") != "Success" || or.get("Server") != "pbx1" {
		t.Fatalf("OriginateResponse: %v", or)
	}
	// The read-only client sees the call's events but not the response
	// to someone else's Originate.
	if _, err := ro.do("Ping"); err != nil {
		t.Fatal(err)
	}
	for _, m := range ro.events {
		if m.get("Event") == "OriginateResponse" {
			t.Fatalf("another client's OriginateResponse reached the read-only client: %v", m)
		}
	}
}

// Logins: a wrong secret and a wrong MD5 key are refused and counted;
// actions before login are refused; Logoff says Goodbye.
func TestLogin(t *testing.T) {
	r := newRig(t, gateway.Config{})
	nc, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &syncClient{nc: nc, r: newReader(nc), sent: map[string]bool{}}
	if _, err := readMsg(c.r); err != nil {
		t.Fatal(err)
	}
	resp, _ := c.do("Status")
	if resp.get("Message") != "Permission denied" {
		t.Fatalf("before login: %v", resp)
	}
	resp, _ = c.do("Login", "Username", "wallboard", "Secret", "pbx-secret")
	if resp.get("Message") != "Authentication failed" {
		t.Fatalf("bad secret: %v", resp)
	}
	if _, err := readMsg(c.r); err == nil {
		t.Fatal("connection stays open after a failed login")
	}
	if st := r.gw.Stats(); st.LoginFailures != 1 {
		t.Fatalf("login failures %d", st.LoginFailures)
	}
	ok := dialSync(t, r.addr, "wallboard", "wb-secret")
	resp, _ = ok.do("Logoff")
	if resp.get("Response") != "Goodbye" {
		t.Fatalf("logoff: %v", resp)
	}
}

// A client that stops reading is disconnected once its queue fills and
// counted; a normal client loses nothing meanwhile.
func TestSlowClientDisconnected(t *testing.T) {
	r := newRig(t, gateway.Config{ClientQueue: 4096})
	slow := dialSync(t, r.addr, "wallboard", "wb-secret")
	_ = slow.nc.(*net.TCPConn).SetReadBuffer(4096)
	normal := dialPipe(t, r.addr, "crm", "crm-secret")
	<-normal.send("Ping") // logged in and registered

	start := r.upEvents.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	for r.gw.Stats().SlowDisconnects == 0 && ctx.Err() == nil {
		if _, err := r.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond, Hold: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		n++
		if n%10 == 0 { // about 5,000 calls/s: bursts the normal client's queue absorbs
			time.Sleep(2 * time.Millisecond)
		}
	}
	if st := r.gw.Stats(); st.SlowDisconnects != 1 {
		t.Fatalf("want the slow client disconnected, alone: %+v", st)
	}
	eventually(t, "calls to end", func() bool { return len(r.sim.ActiveCalls()) == 0 })
	select { // through the PBX: everything before it has been read
	case <-normal.send("Status"):
	case <-time.After(10 * time.Second):
		t.Fatalf("the normal client was cut off too: %+v", r.gw.Stats())
	}
	eventually(t, "the normal client to catch up", func() bool {
		normal.mu.Lock()
		defer normal.mu.Unlock()
		return int64(len(normal.events)) == r.upEvents.Load()-start
	})
	if st := r.gw.Stats(); st.Clients != 1 {
		t.Fatalf("clients after the slow one left: %+v", st)
	}
}

// Event filters: a user limited to two call events gets those only.
func TestEventFilters(t *testing.T) {
	r := newRig(t, gateway.Config{})
	c := dialPipe(t, r.addr, "calls", "calls-secret")
	all := dialPipe(t, r.addr, "wallboard", "wb-secret")
	<-c.send("Ping")
	<-all.send("Ping")
	id, _ := r.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond})
	eventually(t, "answer", func() bool { return r.upEvents.Load() > 10 })
	_ = r.sim.Hangup(id, 16)
	eventually(t, "calls to end", func() bool { return len(r.sim.ActiveCalls()) == 0 })
	// Status goes through the PBX, so its response follows every event
	// sent before it (Ping is answered by the gateway itself).
	<-c.send("Status")
	<-all.send("Status")
	c.mu.Lock()
	defer c.mu.Unlock()
	names := map[string]int{}
	for _, m := range c.events {
		names[m.get("Event")]++
	}
	if names["Newchannel"] != 2 || names["Hangup"] != 2 || len(names) != 2 {
		t.Fatalf("filtered events: %v", names)
	}
	all.mu.Lock()
	defer all.mu.Unlock()
	if len(all.events) <= 4 {
		t.Fatalf("unfiltered client got %d events", len(all.events))
	}
}

// 500 calls/s for 2 s through the gateway: two normal clients each get
// every event voipsdn's session got, none lost (counts, not timing).
func TestThroughput500CallsPerSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	r := newRig(t, gateway.Config{})
	a := dialPipe(t, r.addr, "wallboard", "wb-secret")
	b := dialSync(t, r.addr, "crm", "crm-secret")
	<-a.send("Ping")
	start := r.upEvents.Load()
	// b is a synchronous client: it reads events only while it waits for
	// a response, so it polls.
	loadDone := make(chan struct{})
	var bErr error
	var bwg sync.WaitGroup
	bwg.Go(func() {
		for {
			select {
			case <-loadDone:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, bErr = b.do("Ping"); bErr != nil {
				return
			}
		}
	})
	placed, err := r.sim.RunLoad(context.Background(), amisim.Load{Rate: 500, Duration: 2 * time.Second,
		AnswerAfter: 20 * time.Millisecond, Hold: 200 * time.Millisecond})
	close(loadDone)
	bwg.Wait()
	if bErr != nil {
		t.Fatal(bErr)
	}
	if err != nil || placed != 1000 {
		t.Fatalf("placed %d: %v", placed, err)
	}
	eventually(t, "calls to end", func() bool { return len(r.sim.ActiveCalls()) == 0 })
	<-a.send("Status") // through the PBX: after every event before it
	want := r.upEvents.Load() - start
	eventually(t, "client a to catch up", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return int64(len(a.events)) >= want
	})
	if _, err := b.do("Status"); err != nil { // reads every event queued before the response
		t.Fatal(err)
	}
	a.mu.Lock()
	got := int64(len(a.events))
	a.mu.Unlock()
	if got != want || int64(len(b.events)) != want || want < 1000*10 {
		t.Fatalf("events: upstream %d, client a %d, client b %d", want, got, len(b.events))
	}
	if st := r.gw.Stats(); st.SlowDisconnects != 0 {
		t.Fatalf("stats %+v", st)
	}
}
