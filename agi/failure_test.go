package agi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/agi/agisim"
	"github.com/voipsdn/voipsdn/call"
)

const env02 = "agi_network: yes\nagi_network_script: qos?class=emergency\n" +
	"agi_request: agi://voipsdn:4573/qos?class=emergency\nagi_channel: PJSIP/201-00000006\n" +
	"agi_uniqueid: 1796624786.8\nagi_version: 22.10.1\nagi_accountcode: \n\n"

func envFor(script string) []byte {
	return []byte(strings.ReplaceAll(env02, "qos?class=emergency", script))
}

func play(t *testing.T, srv *testServer, sc agisim.Scenario) *agisim.Transcript {
	t.Helper()
	tr, err := agisim.Run(context.Background(), srv.addr, sc, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.ServerClosed {
		t.Fatal("session not ended by the server's close")
	}
	return tr
}

func resultOf(t *testing.T, tr *agisim.Transcript) string {
	t.Helper()
	v, ok := tr.Model.Var(VarResult)
	if !ok {
		t.Fatalf("VOIPSDN_QOS not set; commands %q", tr.Commands)
	}
	return v
}

// TestResults: each answer the dialplan can get in VOIPSDN_QOS, and an
// event only for an applied class.
func TestResults(t *testing.T) {
	srv := startServer(t, Options{})
	ch := agisim.Channel{Uniqueid: "1796624786.8", Linkedid: "1796624786.7"}
	for _, tc := range []struct{ script, want string }{
		{"qos?class=emergency", "emergency"},
		{"qos?class=bulk&server=pbx1", "bulk"},
		{"qos?class=gold", ResultUnknownClass},
		{"qos", ResultUnknownClass},
		{"hold?class=emergency", ResultUnknownScript},
		{"", ResultUnknownScript},
	} {
		tr := play(t, srv, agisim.Scenario{Env: envFor(tc.script), Channel: ch})
		if got := resultOf(t, tr); got != tc.want {
			t.Errorf("%q: VOIPSDN_QOS=%q, want %q", tc.script, got, tc.want)
		}
	}
	evs := srv.sink.classified()
	want := []call.Classified{
		{Header: call.Header{Server: "pbx1", Call: "1796624786.7"}, Uniqueid: "1796624786.8", Class: "emergency"},
		{Header: call.Header{Server: "pbx1", Call: "1796624786.7"}, Uniqueid: "1796624786.8", Class: "bulk"},
	}
	if len(evs) != 2 {
		t.Fatalf("events %+v", evs)
	}
	for i := range evs {
		evs[i].Time = time.Time{}
		if evs[i] != want[i] {
			t.Errorf("event %+v, want %+v", evs[i], want[i])
		}
	}
}

// TestAdmissionHookRejects: the Admit hook's refusal answers rejected and
// emits nothing; it sees the call it decides on.
func TestAdmissionHookRejects(t *testing.T) {
	var (
		mu    sync.Mutex
		asked []call.Classified
	)
	srv := startServer(t, Options{Classifier: NewClassifier([]string{"emergency", "bulk"},
		func(_ context.Context, ev call.Classified) bool {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, ev)
			return ev.Class == "emergency"
		})})
	ch := agisim.Channel{Uniqueid: "1.2"}
	if got := resultOf(t, play(t, srv, agisim.Scenario{Env: envFor("qos?class=bulk"), Channel: ch})); got != ResultRejected {
		t.Errorf("bulk: %q", got)
	}
	if got := resultOf(t, play(t, srv, agisim.Scenario{Env: envFor("qos?class=emergency"), Channel: ch})); got != "emergency" {
		t.Errorf("emergency: %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if evs := srv.sink.classified(); len(evs) != 1 || evs[0].Class != "emergency" || len(asked) != 2 || asked[0].Uniqueid != "1796624786.8" {
		t.Errorf("events %+v, asked %+v", evs, asked)
	}
	waitFor(t, "stats", func() bool { return srv.Stats().Rejected == 1 })
}

// TestServerResolution: with several PBXs, a peer that is none of them
// (but allowed) names its server with server=, or gets unknown_server.
func TestServerResolution(t *testing.T) {
	srv := startServer(t, Options{
		PBXs: []PBX{{Name: "pbx1", Addrs: []netip.Addr{netip.MustParseAddr("10.0.100.1")}},
			{Name: "pbx2", Addrs: []netip.Addr{netip.MustParseAddr("10.0.100.2")}}},
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	ch := agisim.Channel{Uniqueid: "1.2"}
	for script, want := range map[string]string{
		"qos?class=emergency":             ResultUnknownServer,
		"qos?class=emergency&server=pbx3": ResultUnknownServer,
		"qos?class=emergency&server=pbx2": "emergency",
	} {
		if got := resultOf(t, play(t, srv, agisim.Scenario{Env: envFor(script), Channel: ch})); got != want {
			t.Errorf("%s: %q, want %q", script, got, want)
		}
	}
	if evs := srv.sink.classified(); len(evs) != 1 || evs[0].Server != "pbx2" {
		t.Errorf("events %+v", evs)
	}
}

// TestPeerNotAllowed: a peer that is no PBX and not in allow is closed
// before it can classify anything.
func TestPeerNotAllowed(t *testing.T) {
	srv := startServer(t, Options{PBXs: []PBX{{Name: "pbx1", Addrs: []netip.Addr{netip.MustParseAddr("10.0.100.1")}}}})
	tr, err := agisim.Run(context.Background(), srv.addr, agisim.Scenario{Env: envFor("qos?class=emergency"), Channel: agisim.Channel{Uniqueid: "1.2"}}, 5*time.Second)
	if err == nil && len(tr.Commands) > 0 {
		t.Fatalf("a session from a peer not allowed ran: %q", tr.Commands)
	}
	waitFor(t, "denied", func() bool { return srv.Stats().Denied == 1 })
	if len(srv.sink.classified()) != 0 {
		t.Error("classified from a peer not allowed")
	}
}

// TestCallerHangsUpMidSession: HANGUP before the first answer (recording
// 04's line, here at once) and 511 on a dead channel: the session still
// ends cleanly and is counted.
func TestCallerHangsUpMidSession(t *testing.T) {
	srv := startServer(t, Options{})
	tr := play(t, srv, agisim.Scenario{Env: envFor("qos?class=emergency"), Channel: agisim.Channel{Uniqueid: "1.2"}, HangupAfterEnv: true})
	if len(tr.Commands) != 2 || !tr.Model.Dead() {
		t.Errorf("commands %q dead %v", tr.Commands, tr.Model.Dead())
	}
	waitFor(t, "hangup counted", func() bool { return srv.Stats().Hangups == 1 && srv.Stats().Active == 0 })
	if st := srv.Stats(); st.ProtocolErrors != 0 {
		t.Errorf("stats %+v", st)
	}
}

// rawClient connects and returns the connection with a reader.
func rawClient(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// TestHalfOpenAndSilentPeers: a peer that sends part of the environment,
// or nothing, or never answers a command, is dropped after the timeout
// without holding the server.
func TestHalfOpenAndSilentPeers(t *testing.T) {
	srv := startServer(t, Options{Timeout: 200 * time.Millisecond})
	silent, _ := rawClient(t, srv.addr)
	partial, _ := rawClient(t, srv.addr)
	if _, err := partial.Write([]byte("agi_network: yes\nagi_uniq")); err != nil {
		t.Fatal(err)
	}
	mute, mr := rawClient(t, srv.addr)
	if _, err := mute.Write([]byte(env02)); err != nil {
		t.Fatal(err)
	}
	if line, err := mr.ReadString('\n'); err != nil || line != "GET VARIABLE CHANNEL(linkedid)\n" {
		t.Fatalf("first command %q %v", line, err)
	}
	// The server gives up on all three and closes them.
	for _, c := range []net.Conn{silent, partial, mute} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("not closed by the server: %v", err)
		}
	}
	waitFor(t, "errors counted", func() bool { return srv.Stats().ProtocolErrors == 3 && srv.Stats().Active == 0 })
	// And it still serves.
	if got := resultOf(t, play(t, srv, agisim.Scenario{Env: envFor("qos?class=emergency"), Channel: agisim.Channel{Uniqueid: "1.2"}})); got != "emergency" {
		t.Errorf("after: %q", got)
	}
}

// TestPeerResets: Asterisk's side reset mid-session (a crash, or the
// kernel's RST): the session ends, nothing blocks.
func TestPeerResets(t *testing.T) {
	srv := startServer(t, Options{})
	c, r := rawClient(t, srv.addr)
	if _, err := c.Write([]byte(env02)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetLinger(0)
	c.Close()
	waitFor(t, "reset counted", func() bool { return srv.Stats().ProtocolErrors == 1 && srv.Stats().Active == 0 })
}

// TestBadAnswers: answers that are not AGI status lines, an environment
// line without a colon, a line past the bound, an environment without a
// uniqueid: protocol errors, the session is closed, no event.
func TestBadAnswers(t *testing.T) {
	srv := startServer(t, Options{})
	for i, tc := range []struct{ env, answer string }{
		{env02, "hello\n"},
		{env02, "200 result=x\n"},
		{env02, "520-usage\n" + strings.Repeat("more\n", MaxReplyLen+1)},
		{"agi_network yes\n\n", ""},
		{"agi_x: " + strings.Repeat("a", MaxLine) + "\n\n", ""},
		{"agi_network: yes\n\n", ""},
	} {
		c, r := rawClient(t, srv.addr)
		if _, err := c.Write([]byte(tc.env)); err != nil {
			t.Fatal(err)
		}
		if tc.answer != "" {
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write([]byte(tc.answer)); err != nil {
				t.Fatal(err)
			}
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(r); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
			t.Errorf("case %d: not closed: %v", i, err)
		}
		waitFor(t, "error counted", func() bool { return srv.Stats().ProtocolErrors == uint64(i+1) })
	}
	if len(srv.sink.classified()) != 0 {
		t.Error("an event from a broken session")
	}
}

// TestUnknownAnswerCodes: Asterisk refusing SET VARIABLE (510, or 511 on a
// dead channel) ends the session normally; it is not a protocol error.
func TestUnknownAnswerCodes(t *testing.T) {
	srv := startServer(t, Options{})
	c, r := rawClient(t, srv.addr)
	if _, err := c.Write([]byte(envFor("hold"))); err != nil {
		t.Fatal(err)
	}
	if line, _ := r.ReadString('\n'); line != "SET VARIABLE VOIPSDN_QOS unknown_script\n" {
		t.Fatalf("command %q", line)
	}
	if _, err := c.Write([]byte(agisim.AnswerDead)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Fatalf("after 511: %q %v (want the server's close)", rest, err)
	}
	c.Write([]byte("HANGUP\n"))
	waitFor(t, "session end", func() bool { return srv.Stats().Active == 0 })
	if st := srv.Stats(); st.ProtocolErrors != 0 || st.UnknownScript != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestFloodIsRefused: past MaxSessions, connections are closed at once
// and counted; the sessions in progress and later ones are served.
func TestFloodIsRefused(t *testing.T) {
	srv := startServer(t, Options{MaxSessions: 2, Timeout: 5 * time.Second})
	// Two sessions stall the server's slots: they answer nothing.
	for range 2 {
		c, r := rawClient(t, srv.addr)
		if _, err := c.Write([]byte(env02)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		c, _ := rawClient(t, srv.addr)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(c); err != nil && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("refused connection not closed: %v", err)
		}
	}
	if st := srv.Stats(); st.Refused != 20 || st.Active != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestShutdownEndsSessions: cancelling Serve closes the sessions in
// progress and returns; the helper's cleanup checks no goroutine stays.
func TestShutdownEndsSessions(t *testing.T) {
	srv := startServer(t, Options{Timeout: time.Minute})
	for range 5 {
		c, _ := rawClient(t, srv.addr)
		if _, err := c.Write([]byte("agi_network: yes\n")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "sessions", func() bool { return srv.Stats().Active == 5 })
	// startServer's cleanup cancels Serve, which must return at once
	// although every session waits on a one-minute deadline.
}

// TestSourceRuns: the call.Source form listens, classifies and stops.
func TestSourceRuns(t *testing.T) {
	base := runtime.NumGoroutine()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	src := &Source{Addr: addr, Options: Options{
		PBXs:       []PBX{{Name: "pbx1", Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}},
		Classifier: NewClassifier([]string{"emergency"}, nil),
	}}
	sk := &sink{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, sk.emit) }()
	var tr *agisim.Transcript
	waitFor(t, "listening", func() bool {
		tr, err = agisim.Run(ctx, addr, agisim.Scenario{Env: envFor("qos?class=emergency"), Channel: agisim.Channel{Uniqueid: "1.2"}}, 5*time.Second)
		return err == nil
	})
	if v, _ := tr.Model.Var(VarResult); v != "emergency" || len(sk.classified()) != 1 || src.Server() != "" {
		t.Errorf("VOIPSDN_QOS=%q events %v", v, sk.classified())
	}
	cancel()
	<-done
	settle(t, base)
}

// TestCleanEnd: the server ends a session with FIN, then keeps reading
// until Asterisk closes, so Asterisk's closing HANGUP (recordings 01, 02)
// reaches an open socket instead of drawing a reset (which Asterisk logs
// as "write() returned error: Connection reset by peer").
func TestCleanEnd(t *testing.T) {
	srv := startServer(t, Options{Timeout: 10 * time.Second})
	c, r := rawClient(t, srv.addr)
	if _, err := c.Write([]byte(envFor("hold"))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("200 result=1\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Fatalf("want the server's FIN, got %q %v", rest, err)
	}
	// Asterisk writes HANGUP and more may follow; a server that had
	// closed outright would answer the first write with a reset, and a
	// later write would fail.
	for range 20 {
		if _, err := c.Write([]byte("HANGUP\n")); err != nil {
			t.Fatalf("write after the server's FIN: %v (the server closed outright)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := srv.Stats(); st.Active != 1 {
		t.Errorf("session not waiting for Asterisk's close: %+v", st)
	}
	c.Close()
	waitFor(t, "session end", func() bool { return srv.Stats().Active == 0 })
}
