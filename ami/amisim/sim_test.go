package amisim_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// rawClient speaks AMI by hand, to see exactly what the simulator sends.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	rd *ami.Reader
}

func startSim(t *testing.T, opt amisim.Options) (*amisim.Server, string) {
	before := runtime.NumGoroutine()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opt.Username, opt.Secret = "admin", "s3cret"
	sim := amisim.New(opt)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				t.Fatalf("goroutines left: %d > %d", runtime.NumGoroutine(), before)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return sim, ln.Addr().String()
}

// loggedIn dials the simulator and logs in as admin.
func loggedIn(t *testing.T, addr string) *rawClient {
	c := dial(t, addr)
	c.send("Action: Login\nActionID: l\nUsername: admin\nSecret: s3cret\n")
	c.until(response("l"))
	return c
}

func dial(t *testing.T, addr string) *rawClient {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, rd: ami.NewReader(bufio.NewReader(nc), 0)}
	if g := c.next(); g.Greeting() != amisim.Greeting {
		t.Fatalf("greeting %v", g)
	}
	return c
}

func (c *rawClient) send(s string) {
	if _, err := c.nc.Write([]byte(strings.ReplaceAll(s, "\n", "\r\n") + "\r\n")); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) next() ami.Message {
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	m, err := c.rd.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// until reads until a message satisfies f.
func (c *rawClient) until(f func(ami.Message) bool) ami.Message {
	for {
		if m := c.next(); f(m) {
			return m
		}
	}
}

func response(id string) func(ami.Message) bool {
	return func(m ami.Message) bool { return m.Kind() == ami.KindResponse && m.ActionID() == id }
}

func TestLoginAndErrors(t *testing.T) {
	_, addr := startSim(t, amisim.Options{RTCPInterval: -1})
	c := dial(t, addr)
	c.send("Action: CoreShowChannels\nActionID: 1\n")
	if m := c.next(); m.Get("Message") != "Permission denied" {
		t.Fatalf("before login: %v", m)
	}
	c.send("Action: Login\nActionID: 2\nUsername: admin\nSecret: s3cret\nEvents: off\n")
	if m := c.next(); m.Get("Message") != "Authentication accepted" {
		t.Fatalf("login: %v", m)
	}
	c.send("Action: Events\nActionID: 3\nEventMask: call\n")
	if m := c.next(); m.Get("Events") != "On" {
		t.Fatalf("events: %v", m)
	}
	c.send("Action: NoSuchAction\nActionID: 4\n")
	if m := c.next(); !strings.HasPrefix(m.Get("Message"), "Invalid/unknown command: NoSuchAction") {
		t.Fatalf("unknown: %v", m)
	}
	c.send("Action: Logoff\nActionID: 5\n")
	if m := c.next(); m.Get("Response") != "Goodbye" {
		t.Fatalf("logoff: %v", m)
	}

	bad := dial(t, addr)
	bad.send("Action: Login\nActionID: 1\nUsername: admin\nSecret: nope\n")
	if m := bad.next(); m.Get("Message") != "Authentication failed" {
		t.Fatalf("bad login: %v", m)
	}
	if _, err := bad.rd.ReadMessage(); err == nil {
		t.Fatal("connection not closed after failed login")
	}
}

// TestGetvarLifecycle: empty before answer, the address after, No such
// channel after hangup, as in captures 15, 15b.
func TestGetvarLifecycle(t *testing.T) {
	sim, addr := startSim(t, amisim.Options{RTCPInterval: -1})
	c := loggedIn(t, addr)
	phone := netip.MustParseAddrPort("10.254.0.201:20316")
	id, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", FromRTP: phone, AnswerAfter: time.Hour})
	nc := c.until(func(m ami.Message) bool { return m.Event() == "Newchannel" })
	ch := nc.Get("Channel")
	getvar := func(aid, v string) ami.Message {
		c.send(fmt.Sprintf("Action: Getvar\nActionID: %s\nChannel: %s\nVariable: %s\n", aid, ch, v))
		return c.until(response(aid))
	}
	if m := getvar("g1", "CHANNEL(rtp,dest)"); m.Get("Response") != "Success" || m.Get("Value") != "" {
		t.Fatalf("before answer: %v", m)
	}
	if err := sim.Answer(id); err != nil {
		t.Fatal(err)
	}
	if m := getvar("g2", "CHANNEL(rtp,dest)"); m.Get("Value") != phone.String() {
		t.Fatalf("after answer: %v", m)
	}
	if m := getvar("g3", "CHANNEL(rtp,src)"); !strings.HasPrefix(m.Get("Value"), "10.254.0.1:") {
		t.Fatalf("src: %v", m)
	}
	c.send("Action: Status\nActionID: s\nChannel: " + ch + "\n")
	c.until(response("s"))
	st := c.until(func(m ami.Message) bool { return m.Event() == "Status" })
	if st.Get("Readformat") != "ulaw" || st.Get("Nativeformats") != "(ulaw)" {
		t.Fatalf("status %v", st)
	}
	_ = sim.Hangup(id, 16)
	if m := getvar("g4", "CHANNEL(rtp,dest)"); m.Get("Message") != "No such channel" {
		t.Fatalf("after hangup: %v", m)
	}
}

// TestDirectMediaVariable: CHANNEL(rtp,direct) reads "(null)" while the
// media is anchored and the peer phone's address once a direct-media call
// is bridged.
func TestDirectMediaVariable(t *testing.T) {
	sim, addr := startSim(t, amisim.Options{RTCPInterval: -1})
	c := loggedIn(t, addr)
	a := netip.MustParseAddrPort("10.254.0.201:30000")
	b := netip.MustParseAddrPort("10.254.0.202:30002")
	for i, direct := range []bool{false, true} {
		id, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", FromRTP: a, ToRTP: b, AnswerAfter: time.Hour, DirectMedia: direct})
		ch := c.until(func(m ami.Message) bool { return m.Event() == "Newchannel" }).Get("Channel")
		if err := sim.Answer(id); err != nil {
			t.Fatal(err)
		}
		aid := fmt.Sprintf("d%d", i)
		c.send(fmt.Sprintf("Action: Getvar\nActionID: %s\nChannel: %s\nVariable: CHANNEL(rtp,direct)\n", aid, ch))
		want := "(null)"
		if direct {
			want = b.String()
		}
		if m := c.until(response(aid)); m.Get("Value") != want {
			t.Fatalf("direct_media %t: CHANNEL(rtp,direct) = %q, want %q", direct, m.Get("Value"), want)
		}
		_ = sim.Hangup(id, 16)
	}
}

// capturesDir is the repository's copy of the real Asterisk recordings
// (ami/testdata/captures, see its PROVENANCE.md).
var capturesDir = filepath.Join("..", "testdata", "captures")

// TestFieldsMatchCaptures compares the field names (in order) of the
// simulator's events with those of the real Asterisk.
func TestFieldsMatchCaptures(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(capturesDir, "02-call-201-to-202-bridged-25s-caller-hangup.txt"))
	if err != nil {
		t.Fatal(err)
	}
	real := map[string][]string{}
	msgs, _ := ami.ReadAll(strings.NewReader(string(data)), 0)
	for _, m := range msgs {
		if e := m.Event(); e != "" && real[e] == nil {
			real[e] = keys(m)
		}
	}
	sim, addr := startSim(t, amisim.Options{RTCPInterval: 20 * time.Millisecond})
	c := loggedIn(t, addr)
	id, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond,
		FromRTP: netip.MustParseAddrPort("10.254.0.201:20000"), ToRTP: netip.MustParseAddrPort("10.254.0.202:20000")})
	got := map[string][]string{}
	c.until(func(m ami.Message) bool {
		if e := m.Event(); e != "" && got[e] == nil {
			got[e] = keys(m)
		}
		if m.Event() == "RTCPSent" {
			_ = sim.Hangup(id, 16)
		}
		return m.Event() == "Hangup" && m.Get("Uniqueid") == id
	})
	for _, e := range []string{"Newchannel", "Newstate", "DialBegin", "DialState", "DialEnd", "BridgeCreate",
		"BridgeEnter", "BridgeLeave", "HangupRequest", "SoftHangupRequest", "Hangup"} {
		if strings.Join(got[e], ",") != strings.Join(real[e], ",") {
			t.Errorf("%s fields:\nsim  %v\nreal %v", e, got[e], real[e])
		}
	}
	// RTCP events: the channel block, then the report fields the
	// tracker reads.
	for _, e := range []string{"RTCPSent", "RTCPReceived"} {
		g := strings.Join(got[e], ",")
		if !strings.HasPrefix(g, "Event,Privilege,Timestamp,"+strings.Join(real["Newchannel"][3:], ",")) {
			t.Errorf("%s channel block: %v", e, got[e])
		}
		for _, k := range []string{"To", "From", "MES", "Report0FractionLost", "Report0CumulativeLost", "Report0IAJitter"} {
			if !strings.Contains(","+g+",", ","+k+",") {
				t.Errorf("%s lacks %s: %v", e, k, got[e])
			}
		}
	}
}

func keys(m ami.Message) []string {
	var k []string
	for _, f := range m.Fields {
		k = append(k, f.Key)
	}
	return k
}

// TestOutcomesThroughTracker: every scripted outcome ends with the dial
// status and cause the captures show for it.
func TestOutcomesThroughTracker(t *testing.T) {
	script := `{"calls": [
	 {"from": "201", "to": "202", "outcome": "answer", "answer_after": "5ms", "hold": "20ms", "from_rtp": "10.254.0.201:20000", "to_rtp": "10.254.0.202:20002"},
	 {"at": "1ms", "from": "201", "to": "204", "outcome": "busy"},
	 {"at": "2ms", "from": "201", "to": "205", "outcome": "unavailable"},
	 {"at": "3ms", "from": "201", "to": "410", "outcome": "noanswer", "answer_after": "10ms"},
	 {"at": "4ms", "from": "201", "to": "410", "outcome": "cancel", "answer_after": "10ms"}]}`
	calls, err := amisim.ParseScript(strings.NewReader(script))
	if err != nil {
		t.Fatal(err)
	}
	sim, addr := startSim(t, amisim.Options{RTCPInterval: -1})
	c := loggedIn(t, addr)
	if err := sim.RunScript(context.Background(), calls); err != nil {
		t.Fatal(err)
	}
	tr := tracker.New(tracker.Options{Passive: true})
	var ends []string
	for len(ends) < 5 {
		m := c.next()
		for _, ev := range tr.Apply(m, time.Now()) {
			if e, ok := ev.(tracker.CallEnded); ok {
				ends = append(ends, fmt.Sprintf("%s/%d/%t", e.DialStatus, e.Cause, e.Answered))
			}
		}
	}
	sort.Strings(ends) // end order depends on timers
	want := "ANSWER/16/true BUSY/17/false CANCEL/127/false CHANUNAVAIL/3/false NOANSWER/16/false"
	if got := strings.Join(ends, " "); got != want {
		t.Fatalf("outcomes\n got %s\nwant %s", got, want)
	}
}

func TestParseScriptErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"calls": [{"from": "1"}]}`, "calls.0: from and to"},
		{`{"calls": [{"from": "1", "to": "2", "hold": "x"}]}`, "calls.0: hold"},
		{`{"calls": [{"from": "1", "to": "2", "outcome": "maybe"}]}`, `outcome "maybe"`},
		{`{"calls": [{"from": "1", "to": "2", "to_rtp": "nope"}]}`, "to_rtp"},
		{`{"cals": []}`, "unknown field"},
	} {
		_, err := amisim.ParseScript(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.in, err, c.want)
		}
	}
}

// TestHoldAnchorsDirectMedia: a held direct-media call runs through
// Asterisk: Hold and Unhold are raised on the caller's channel and
// CHANNEL(rtp,direct) reads "(null)" in between.
func TestHoldAnchorsDirectMedia(t *testing.T) {
	sim, addr := startSim(t, amisim.Options{RTCPInterval: -1})
	c := loggedIn(t, addr)
	b := netip.MustParseAddrPort("10.254.0.202:30002")
	id, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", FromRTP: netip.MustParseAddrPort("10.254.0.201:30000"),
		ToRTP: b, AnswerAfter: time.Hour, DirectMedia: true})
	ch := c.until(func(m ami.Message) bool { return m.Event() == "Newchannel" }).Get("Channel")
	if err := sim.Hold(id, true); err == nil {
		t.Fatal("held a ringing call")
	}
	if err := sim.Answer(id); err != nil {
		t.Fatal(err)
	}
	direct := func(aid string) string {
		c.send(fmt.Sprintf("Action: Getvar\nActionID: %s\nChannel: %s\nVariable: CHANNEL(rtp,direct)\n", aid, ch))
		return c.until(response(aid)).Get("Value")
	}
	for i, hold := range []bool{true, false} {
		if err := sim.Hold(id, hold); err != nil {
			t.Fatal(err)
		}
		name, want := "Hold", "(null)"
		if !hold {
			name, want = "Unhold", b.String()
		}
		if m := c.until(func(m ami.Message) bool { return m.Event() == name }); m.Get("Channel") != ch {
			t.Fatalf("%s on %q, want the caller's channel %q", name, m.Get("Channel"), ch)
		}
		if v := direct(fmt.Sprintf("h%d", i)); v != want {
			t.Fatalf("after %s: CHANNEL(rtp,direct) = %q, want %q", name, v, want)
		}
	}
}
