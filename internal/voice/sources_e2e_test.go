package voice

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/agi/agisim"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/ari/arisim"
	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/qos"
)

// scriptSource is a call source that is not AMI: the test hands it the
// events to emit.
type scriptSource struct {
	server string
	events chan call.Event
}

func (s *scriptSource) Name() string   { return s.server + "/script" }
func (s *scriptSource) Server() string { return s.server }
func (s *scriptSource) Run(ctx context.Context, emit func(call.Event)) error {
	emit(call.Resynced{Header: call.Header{Server: s.server}})
	for {
		select {
		case ev := <-s.events:
			emit(ev)
		case <-ctx.Done():
			return nil
		}
	}
}

// perCallMeters counts the per-call meters on sw1.
func (e *e2e) perCallMeters() int {
	e.t.Helper()
	meters, err := e.lab.DumpMeters("sw1")
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range meters {
		if m.ID >= qos.MeterIDBase {
			n++
		}
	}
	return n
}

// waitMeters polls until sw1 holds want per-call meters.
func (e *e2e) waitMeters(want int, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for n := e.perCallMeters(); n != want; n = e.perCallMeters() {
		if time.Now().After(deadline) {
			e.t.Fatalf("want %d per-call meters on sw1, have %d", want, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSecondSourcePlugsIn: a call source that is not AMI, a Go type
// emitting call events, drives a call through to flows and meters on the
// switch and takes them away at its end, with nothing of qos or dp
// knowing the source.
func TestSecondSourcePlugsIn(t *testing.T) {
	src := &scriptSource{server: "pbx", events: make(chan call.Event, 16)}
	e := newE2E(t, config.PinholeMark, func(e *e2e) { e.sources = func() []call.Source { return []call.Source{src} } })
	h := call.Header{Server: "pbx", Call: "1800000000.1"}
	a, b := call.Leg{Uniqueid: "1800000000.1"}, call.Leg{Uniqueid: "1800000000.2"}
	phoneA, phoneB := netip.MustParseAddrPort("10.0.100.201:21000"), netip.MustParseAddrPort("10.0.100.202:21000")
	pbxA, pbxB := netip.MustParseAddrPort("10.0.100.1:10100"), netip.MustParseAddrPort("10.0.100.1:10102")
	src.events <- call.CallStarted{Header: h, Leg: a}
	src.events <- call.LegAdded{Header: h, Leg: b}
	src.events <- call.MediaKnown{Header: h, Leg: a, Local: pbxA, Remote: phoneA, Codec: "ulaw", Source: call.SourceGetvar}
	src.events <- call.MediaKnown{Header: h, Leg: b, Local: pbxB, Remote: phoneB, Codec: "ulaw", Source: call.SourceGetvar}
	e.waitFlows(8, 10*time.Second)
	e.waitMeters(4, 5*time.Second)
	if st := e.stream("phone201", int(phoneA.Port()), pbxA, "pbx", time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("phone201 -> pbx: %d packets, %d EF; want ~50, all EF", st.Packets, st.DSCP[46])
	}
	src.events <- call.CallEnded{Header: h, Answered: true}
	e.waitFlows(0, 5*time.Second)
	e.waitMeters(0, 5*time.Second)
}

// The lab's external media server, at the address recording 01 streams
// to.
var mediaHost = ovslab.HostSpec{Name: "media", Bridge: "sw1", OFPort: 7, Addrs: []string{"10.0.100.204/24"}}

// ariConfig follows pbx through ARI only (the AMI port is unused).
const ariConfig = `
# ami port %d unused
vlans:
  voice: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, native_vlan: voice}
      2: {name: phone202, native_vlan: voice}
      5: {name: pbx, native_vlan: voice}
      6: {name: intruder, native_vlan: voice}
      7: {name: media, native_vlan: voice}
voip:
  asterisk:
    pbx:
      ari: {url: "http://ARIADDR", username: voipsdn, password_env: VOIPSDN_E2E_SECRET}
  qos:
    rtp_port_range: [10000, 20000]
    pinhole: %s
    pbx_addresses: [10.0.100.1]
`

// swappable serves whichever ARI simulator is current.
type swappable struct{ h atomic.Pointer[arisim.Server] }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.Load().ServeHTTP(w, r) }

func newARISim(t *testing.T) *arisim.Server {
	t.Helper()
	rec, err := arisim.Load("../../ari/testdata/captures/01-extmedia-201-to-501-app-hangs-up.ari.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return arisim.New(rec, "voipsdn", "s3cret")
}

// amiReplay is the AMI side of recording 01: the call tracker reading the
// AMI events the same Asterisk sent during the same call. It emits them
// up to the hang-up when start is closed (the call begins), and the rest
// when hangUp is closed.
type amiReplay struct {
	before, after []call.Event
	start, hangUp chan struct{}
}

func newAMIReplay(t *testing.T) *amiReplay {
	t.Helper()
	f, err := os.Open("testdata/01-extmedia-201-to-501-app-hangs-up.ami.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &amiReplay{start: make(chan struct{}), hangUp: make(chan struct{})}
	ended := false
	if _, err := tracker.Replay(f, nil, "pbx", func(ev call.Event) {
		switch ev.(type) {
		case call.LegEnded, call.CallEnded:
			ended = true
		}
		if ended {
			r.after = append(r.after, ev)
		} else {
			r.before = append(r.before, ev)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *amiReplay) Name() string   { return "pbx/ami-replay" }
func (r *amiReplay) Server() string { return "pbx" }
func (r *amiReplay) Run(ctx context.Context, emit func(call.Event)) error {
	emit(call.Resynced{Header: call.Header{Server: "pbx"}})
	select {
	case <-r.start:
	case <-ctx.Done():
		return nil
	}
	for _, ev := range r.before {
		emit(ev)
	}
	select {
	case <-r.hangUp:
	case <-ctx.Done():
		return nil
	}
	for _, ev := range r.after {
		emit(ev)
	}
	<-ctx.Done()
	return nil
}

// flowSet is the switch's per-call flows without their counters, by call
// (the cookie without the generation of the run that installed them).
// Meter ids are the store's allocation order, which follows the order the
// sources reported the legs in, so they are renamed M1, M2... in the order
// of the sorted flows: two sets are equal when their flows are and the
// same flows share a meter.
func flowSet(flows []ovslab.Flow) []string {
	meter := regexp.MustCompile(`meter:\d+`)
	var out []string
	for _, f := range flows {
		out = append(out, fmt.Sprintf("cookie=%#x table=%d prio=%d %v actions=%s", qos.CallKey(f.Cookie), f.Table, f.Priority, f.Match, f.Actions))
	}
	slices.SortFunc(out, func(a, b string) int {
		return strings.Compare(meter.ReplaceAllString(a, ""), meter.ReplaceAllString(b, ""))
	})
	names := map[string]string{}
	for i, s := range out {
		out[i] = meter.ReplaceAllStringFunc(s, func(m string) string {
			if names[m] == "" {
				names[m] = fmt.Sprintf("meter:M%d", len(names)+1)
			}
			return names[m]
		})
	}
	return out
}

// TestStasisExternalMediaGetsEF: a Stasis application answers a call and
// bridges it with an externalMedia channel streaming to a media server
// (recording 01, replayed by the ARI simulator in the lab's addresses).
// Followed through ARI alone, the phone leg and the PBX <-> media server
// stream get EF and meters, and nothing is left after the hang-up.
// Followed through AMI and ARI at once, after a controller restart, the
// same call gets the very same flows, once: the AMI recording reports the
// phone leg's media before it knows the codec, and the leg must keep its
// flows and meters when ARI's report brings the codec.
func TestStasisExternalMediaGetsEF(t *testing.T) {
	front := &swappable{}
	front.h.Store(newARISim(t))
	srv := httptest.NewServer(front)
	defer srv.Close()
	cfg := strings.Replace(ariConfig, "ARIADDR", strings.TrimPrefix(srv.URL, "http://"), 1)
	e := newE2E(t, config.PinholeMark, func(e *e2e) { e.cfgText, e.hosts = cfg, []ovslab.HostSpec{mediaHost} })

	phone, pbxPhone := netip.MustParseAddrPort("10.0.100.201:25064"), netip.MustParseAddrPort("10.0.100.1:10980")
	media, pbxMedia := netip.MustParseAddrPort("10.0.100.204:40000"), netip.MustParseAddrPort("10.0.100.1:10054")
	run := func(sim *arisim.Server, start, hangUp func()) []string {
		for deadline := time.Now().Add(10 * time.Second); sim.Clients() == 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the ARI source never connected")
			}
		}
		meters := e.rec.meters()
		if start != nil {
			start()
		}
		// Up to the external media channel entering the bridge.
		sim.PlayUntil(`"type":"ChannelEnteredBridge"`)
		sim.PlayUntil(`"type":"ChannelEnteredBridge"`)
		// Phone leg and external media stream, both ways, RTP and RTCP.
		flows := e.waitFlows(8, 10*time.Second)
		e.waitMeters(4, 5*time.Second)
		for _, s := range []struct {
			from, to string
			src, dst netip.AddrPort
		}{
			{"phone201", "pbx", phone, pbxPhone}, {"pbx", "phone201", pbxPhone, phone},
			{"pbx", "media", pbxMedia, media}, {"media", "pbx", media, pbxMedia},
		} {
			st := e.stream(s.from, int(s.src.Port()), s.dst, s.to, time.Second)
			if st.Packets < 40 || st.DSCP[46] != st.Packets {
				t.Errorf("%s %s -> %s %s: %d packets, %d EF; want ~50, all EF", s.from, s.src, s.to, s.dst, st.Packets, st.DSCP[46])
			}
		}
		for _, f := range flows {
			if !strings.Contains(f.Actions, "meter:") {
				t.Errorf("flow without a meter: %s", f.Text)
			}
		}
		set := flowSet(e.callFlows())
		// Each of the four streams' meters added once: no leg was torn
		// down and installed again when a second source reported it.
		if n := e.rec.meters() - meters; n != 4 {
			t.Errorf("%d per-call meters added for 4 streams", n)
		}
		sim.Play(sim.Len())
		if hangUp != nil {
			hangUp()
		}
		e.waitFlows(0, 5*time.Second)
		e.waitMeters(0, 5*time.Second)
		return set
	}
	ariOnly := run(front.h.Load(), nil, nil)

	// The same call, followed through AMI and ARI at once.
	sim := newARISim(t)
	front.h.Store(sim)
	replay := newAMIReplay(t)
	e.sources = func() []call.Source {
		srcs, err := NewSources(e.cfg.VoIP, SourceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return append([]call.Source{replay}, srcs...)
	}
	e.restartController()
	// The new controller learns where the hosts are, as the first did,
	// so that both runs place the streams alike.
	wctx, wcancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer wcancel()
	for _, h := range []string{"phone201", "media"} {
		if err := e.lab.Host(h).WaitPing(wctx, "10.0.100.1"); err != nil {
			t.Fatal(err)
		}
	}
	// A ping may be forwarded by host flows the switch kept across the
	// restart, teaching the new controller nothing: wait until it has
	// located every media endpoint (adopted or learned), so that both runs
	// place the streams at their senders' ports.
	for _, ip := range []string{"10.0.100.1", "10.0.100.201", "10.0.100.204"} {
		addr := netip.MustParseAddr(ip)
		for {
			if m := e.mgr.Load(); m != nil {
				if _, ok := m.LocateIP(addr); ok {
					break
				}
			}
			if wctx.Err() != nil {
				t.Fatalf("the restarted controller never located %s", ip)
			}
			// Forget the neighbours so that the next ping ARPs, and the
			// voip table copies the ARP to the controller.
			for _, h := range []string{"phone201", "media", "pbx"} {
				if host := e.lab.Host(h); host != nil {
					_, _ = host.Exec(wctx, "ip", "neigh", "flush", "all")
				}
			}
			for _, h := range []string{"phone201", "media"} {
				_ = e.lab.Host(h).WaitPing(wctx, "10.0.100.1")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	both := run(sim, func() { close(replay.start) }, func() { close(replay.hangUp) })
	if !slices.Equal(ariOnly, both) {
		t.Errorf("AMI+ARI flows differ from ARI-only ones:\nARI only:\n%s\nAMI+ARI:\n%s", strings.Join(ariOnly, "\n"), strings.Join(both, "\n"))
	}
}

// agiLabConfig gives the lab PBX an emergency class that marks AF41 and
// is not policed; the dialplan chooses it with AsyncAGI over AMI.
const agiLabConfig = `
vlans:
  voice: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, native_vlan: voice}
      2: {name: phone202, native_vlan: voice}
      5: {name: pbx, native_vlan: voice}
      6: {name: intruder, native_vlan: voice}
voip:
  asterisk:
    pbx:
      host: 127.0.0.1
      port: %d
      username: voipsdn
      secret_env: VOIPSDN_E2E_SECRET
      events: [call, reporting, system, agi]
  qos:
    rtp_port_range: [10000, 20000]
    pinhole: %s
    pbx_addresses: [10.0.100.1]
    classes:
      emergency: {dscp: 34, meter: false}
  agi: {listen: "AGIADDR"}
`

// TestAGIClassifiedCallGetsItsClass: a call whose dialplan runs
// AGI(agi:async,qos,emergency) over AMI, and one whose dialplan runs
// AGI(agi://voipsdn/qos?class=emergency) against voipsdn's FastAGI server,
// get the emergency class's treatment (AF41, no meter) on all their
// streams; a call beside them without AGI keeps EF and meters.
func TestAGIClassifiedCallGetsItsClass(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	agiAddr := ln.Addr().String()
	ln.Close()
	e := newE2E(t, config.PinholeMark, func(e *e2e) { e.cfgText = strings.Replace(agiLabConfig, "AGIADDR", agiAddr, 1) })
	em, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 300 * time.Millisecond,
		FromRTP: netip.MustParseAddrPort("10.0.100.201:22000"), ToRTP: netip.MustParseAddrPort("10.0.100.202:22000"),
		AsyncAGI: []string{"qos", "emergency"}})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 300 * time.Millisecond,
		FromRTP: netip.MustParseAddrPort("10.0.100.201:22200"), ToRTP: netip.MustParseAddrPort("10.0.100.202:22200")})
	if err != nil {
		t.Fatal(err)
	}
	env := "agi_network: yes\nagi_network_script: qos?class=emergency\nagi_request: agi://voipsdn:4573/qos?class=emergency\n" +
		"agi_channel: PJSIP/201-00000002\nagi_uniqueid: " + fast + "\n\n"
	tr, err := agisim.Run(e.ctx, agiAddr, agisim.Scenario{Env: []byte(env), Channel: agisim.Channel{Uniqueid: fast}}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tr.Commands, "SET VARIABLE VOIPSDN_QOS emergency") {
		t.Fatalf("FastAGI answered %q", tr.Commands)
	}
	plain, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 300 * time.Millisecond,
		FromRTP: netip.MustParseAddrPort("10.0.100.201:22100"), ToRTP: netip.MustParseAddrPort("10.0.100.202:22100")})
	if err != nil {
		t.Fatal(err)
	}
	flows := e.waitFlows(24, 10*time.Second)
	for _, f := range flows {
		emergency := qos.CallKey(f.Cookie) == qos.CallCookie("pbx", em) || qos.CallKey(f.Cookie) == qos.CallCookie("pbx", fast)
		switch {
		case emergency && (strings.Contains(f.Actions, "meter:") || !strings.Contains(f.Actions, "set_field:34->ip_dscp")):
			t.Errorf("emergency call flow %s; want AF41 (34), no meter", f.Text)
		case !emergency && (!strings.Contains(f.Actions, "meter:") || !strings.Contains(f.Actions, "set_field:46->ip_dscp")):
			t.Errorf("plain call flow %s; want EF and a meter", f.Text)
		}
	}
	for _, c := range []struct {
		port uint16
		dscp uint8
	}{{22000, 34}, {22200, 34}, {22100, 46}} {
		var m tracker.MediaKnown
		e.mu.Lock()
		for _, ms := range e.media {
			for _, x := range ms {
				if x.Remote.Port() == c.port {
					m = x
				}
			}
		}
		e.mu.Unlock()
		if !m.Local.IsValid() {
			t.Fatalf("no media known for the phone on port %d", c.port)
		}
		phone := hostOf(m.Remote.Addr())
		if st := e.stream(phone, int(m.Remote.Port()), m.Local, "pbx", time.Second); st.Packets < 40 || st.DSCP[c.dscp] != st.Packets {
			t.Errorf("%s:%d -> pbx: %d packets, DSCP %v; want all %d", phone, c.port, st.Packets, st.DSCP, c.dscp)
		}
	}
	for _, id := range []string{em, fast, plain} {
		if err := e.sim.Hangup(id, 16); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFlows(0, 5*time.Second)
}
