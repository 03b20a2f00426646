package voice

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/controller/dp/callstore"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// The end-to-end tests run the controller with its voice service
// in-process against a real Open vSwitch with namespace hosts, and the AMI
// simulator as the PBX.

const labConfig = `
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
  qos:
    rtp_port_range: [10000, 20000]
    pinhole: %s
    pbx_addresses: [10.0.100.1]
`

type e2e struct {
	t       testing.TB
	ctx     context.Context
	lab     *ovslab.Lab
	sim     *amisim.Server
	amiPort int
	dir     string
	cfg     *config.Config
	ofAddr  string
	stopCtl func()
	rec     *recorder
	// latency, if set before the controller starts, gets install times.
	latency func(time.Duration)
	// heapOnly, if set before newE2E starts anything, keeps the test's
	// own memory out of the controller's process: the simulator runs in a
	// child process (simProc, sim stays nil) and neither the media log
	// nor the cookie recorder is kept.
	heapOnly bool
	simProc  *simProcess
	// cfgText, if set, is the configuration (a format taking the AMI
	// simulator's port and the pinhole mode), in place of labConfig.
	cfgText string
	// sources, if set, gives the service's call sources at each start of
	// the controller, in place of those the configuration names.
	sources func() []call.Source
	// hosts are added to the lab besides the phones, the PBX and the
	// intruder, and take part in learning.
	hosts []ovslab.HostSpec
	// outcomes and events, if set before the controller starts, get the
	// flow store's per-leg outcomes and every call event.
	outcomes callstore.Outcomes
	events   func(call.Event)
	// simOpts, if set, adjusts the simulator's options; amiHook gets the
	// controller's AMI clients.
	simOpts func(*amisim.Options)
	amiHook func(*ami.Client)
	// mgr is the running controller's DP manager.
	mgr atomic.Pointer[dp.Manager]

	mu    sync.Mutex
	media map[string][]tracker.MediaKnown // by call
}

// switchUp tells the voice service about every switch connection.
type switchUp struct {
	*dp.Manager
	svc *Service
}

func (h switchUp) Connected(ctx context.Context, sw *controller.Switch) {
	h.Manager.Connected(ctx, sw)
	go h.svc.SwitchUp(ctx, sw.DPID())
}

func newE2E(t testing.TB, pinhole string, opts ...func(*e2e)) *e2e {
	ovslab.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &e2e{t: t, ctx: ctx, dir: t.TempDir(), media: map[string][]tracker.MediaKnown{}}
	for _, o := range opts {
		o(e)
	}
	e.lab = ovslab.New(t)

	// The PBX.
	t.Setenv("VOIPSDN_E2E_SECRET", "s3cret")
	if e.heapOnly {
		e.simProc = startSimProcess(t)
		e.amiPort = int(e.simProc.addr.Port())
	} else {
		o := simOptions()
		if e.simOpts != nil {
			e.simOpts(&o)
		}
		e.sim = amisim.New(o)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		e.amiPort = ln.Addr().(*net.TCPAddr).Port
		simDone := make(chan struct{})
		go func() { e.sim.Serve(ctx, ln); close(simDone) }() //nolint:errcheck
		t.Cleanup(func() { cancel(); <-simDone })
	}

	e.cfg = e.writeConfig(pinhole)
	e.rec = &recorder{cookies: map[uint64]bool{}}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.ofAddr = ln2.Addr().String()
	e.stopCtl = e.startController(ln2)
	t.Cleanup(func() { e.stopCtl() })

	if _, err := e.lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+e.ofAddr), ovslab.MaxBackoff(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, h := range append([]ovslab.HostSpec{
		{Name: "phone201", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
		{Name: "phone202", OFPort: 2, Addrs: []string{"10.0.100.202/24"}},
		{Name: "pbx", OFPort: 5, Addrs: []string{"10.0.100.1/24"}},
		{Name: "intruder", OFPort: 6, Addrs: []string{"10.0.100.66/24"}},
	}, e.hosts...) {
		h.Bridge = "sw1"
		if _, err := e.lab.AddHost(h); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := e.lab.WaitConnected(wctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	// Learning: every host talks to the PBX once, so its IP is located.
	learn := []string{"phone201", "phone202", "intruder"}
	for _, h := range e.hosts {
		learn = append(learn, h.Name)
	}
	for _, h := range learn {
		if err := e.lab.Host(h).WaitPing(wctx, "10.0.100.1"); err != nil {
			t.Fatalf("%s cannot reach the PBX: %v", h, err)
		}
	}
	return e
}

// startController runs the controller's runtime, voice service and
// OpenFlow server on ln until the returned stop is called, as one run of
// `voipsdn run` would.
func (e *e2e) startController(ln net.Listener) (stop func()) {
	t := e.t
	ctx, cancel := context.WithCancel(e.ctx)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var wg sync.WaitGroup
	// The manager's hooks reach the service, which is built after it.
	var svcp atomic.Pointer[Service]
	mgr := dp.New(dp.Options{Logger: log,
		HostLocated: func(ip netip.Addr) {
			if s := svcp.Load(); s != nil {
				s.HostLocated(ip)
			}
		},
		FlowRemoved: func(ctx context.Context, dpid uint64, fr *of13.FlowRemoved) {
			if s := svcp.Load(); s != nil {
				s.FlowRemoved(ctx, dpid, fr)
			}
		}})
	wg.Add(1)
	go func() { defer wg.Done(); mgr.Run(ctx) }() //nolint:errcheck
	if err := mgr.SetConfig(ctx, e.cfg); err != nil {
		t.Fatal(err)
	}
	e.mgr.Store(mgr)
	opts := Options{VoIP: e.cfg.VoIP, Switches: recordingSwitches{Switches{M: mgr}, e.rec}, Logger: log,
		InstallLatency: e.latency, Outcomes: e.outcomes,
		AMIOptions: []ami.Option{ami.WithBackoff(ami.Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Factor: 2})},
		Events: func(ev tracker.Event) {
			if e.events != nil {
				e.events(ev)
			}
			if m, ok := ev.(tracker.MediaKnown); ok {
				e.mu.Lock()
				e.media[m.Call] = append(e.media[m.Call], m)
				e.mu.Unlock()
			}
		}}
	if e.amiHook != nil {
		opts.AMIOptions = append(opts.AMIOptions, ami.WithClientHook(e.amiHook))
	}
	if e.heapOnly {
		opts.Switches, opts.Events = Switches{M: mgr}, nil
	}
	if e.sources != nil {
		opts.Sources = e.sources()
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	svcp.Store(svc)
	wg.Add(1)
	go func() { defer wg.Done(); svc.Run(ctx) }() //nolint:errcheck
	srv := &controller.Server{Handler: switchUp{mgr, svc}, Accept: mgr.Accepts, Logger: log, EchoInterval: time.Second}
	wg.Add(1)
	go func() { defer wg.Done(); srv.Serve(ctx, ln) }() //nolint:errcheck
	return func() { cancel(); wg.Wait() }
}

// restartController stops the controller and starts a new one on the
// same address, as a restart of the voipsdn process does.
func (e *e2e) restartController() {
	e.t.Helper()
	e.stopCtl()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", e.ofAddr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.stopCtl = e.startController(ln)
}

// recorder notes every call cookie that flows were installed for.
type recorder struct {
	mu      sync.Mutex
	cookies map[uint64]bool
	// meterAdds counts the per-call meters added: a leg installed twice
	// (torn down and planned again) adds its meters twice.
	meterAdds int
}

// meters returns how many per-call meters were added so far.
func (r *recorder) meters() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.meterAdds
}

type recordingSwitches struct {
	Switches
	rec *recorder
}

func (r recordingSwitches) Commit(dpid uint64, c dp.Change, done func(error)) {
	r.Switches.Commit(dpid, c, func(err error) {
		if err == nil {
			r.rec.mu.Lock()
			for _, m := range c.Pre {
				if mm, ok := m.(of13.MeterMod); ok && mm.Command == of13.ModAdd {
					r.rec.meterAdds++
				}
			}
			for _, m := range c.Flows {
				if f, ok := m.(of13.FlowMod); ok && f.Command == of13.FlowAdd {
					r.rec.cookies[qos.CallKey(f.Cookie)] = true
				}
			}
			r.rec.mu.Unlock()
		}
		if done != nil {
			done(err)
		}
	})
}

func (e *e2e) writeConfig(pinhole string) *config.Config {
	e.t.Helper()
	path := filepath.Join(e.dir, "faucet.yaml")
	text := labConfig
	if e.cfgText != "" {
		text = e.cfgText
	}
	if err := os.WriteFile(path, []byte(fmt.Sprintf(text, e.amiPort, pinhole)), 0o644); err != nil {
		e.t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// callFlows lists the per-call flows on sw1.
func (e *e2e) callFlows() []ovslab.Flow {
	e.t.Helper()
	filter := "cookie=0x" + strconv.FormatUint(qos.CookieCategory, 16) + "/0x" + strconv.FormatUint(qos.CookieCategoryMask, 16)
	flows, err := e.lab.DumpFlows("sw1", filter)
	if err != nil {
		e.t.Fatal(err)
	}
	return flows
}

// waitFlows polls until the number of per-call flows is want.
func (e *e2e) waitFlows(want int, within time.Duration) []ovslab.Flow {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		flows := e.callFlows()
		if len(flows) == want {
			return flows
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("want %d per-call flows on sw1, have %d:\n%v", want, len(flows), flows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// call places a call 201 -> 202 with the given phone RTP port and returns
// the simulator's id for it and its legs' media once both are known.
func (e *e2e) call(port uint16) (string, []tracker.MediaKnown) {
	e.t.Helper()
	id, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 200 * time.Millisecond,
		FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
		ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)})
	if err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		for _, ms := range e.media {
			for _, m := range ms {
				if m.Remote.Port() == port && len(ms) >= 2 {
					e.mu.Unlock()
					return id, ms
				}
			}
		}
		e.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("call %s: media never known", id)
	return "", nil
}

func hostOf(ip netip.Addr) string {
	return map[string]string{"10.0.100.201": "phone201", "10.0.100.202": "phone202", "10.0.100.1": "pbx", "10.0.100.204": "media"}[ip.String()]
}

// stream sends 50 pps of G.711-sized UDP from host to dst and returns what
// the receiver saw.
func (e *e2e) stream(from string, srcPort int, dst netip.AddrPort, to string, d time.Duration) ovslab.RecvStats {
	e.t.Helper()
	return e.streamDSCP(from, srcPort, dst, to, d, 0)
}

// streamDSCP is stream with the sender marking its packets dscp itself,
// as phones do.
func (e *e2e) streamDSCP(from string, srcPort int, dst netip.AddrPort, to string, d time.Duration, dscp uint8) ovslab.RecvStats {
	e.t.Helper()
	rx, err := e.lab.Host(to).ReceiveUDP(dst.String())
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.lab.Host(from).SendUDPStream(e.ctx, ovslab.Stream{Dst: dst.String(), SrcPort: srcPort, Duration: d, DSCP: dscp}); err != nil {
		e.t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	st, _ := rx.Close()
	return st
}

func TestCallGetsEFAndNothingIsLeftAfterHangup(t *testing.T) {
	e := newE2E(t, config.PinholeMark)
	simID, legs := e.call(20000)
	if len(legs) != 2 {
		t.Fatalf("want 2 legs, got %d", len(legs))
	}
	// Two legs x two directions x RTP+RTCP.
	e.waitFlows(8, 5*time.Second)

	for _, m := range legs {
		phone := hostOf(m.Remote.Addr())
		up := e.stream(phone, int(m.Remote.Port()), m.Local, "pbx", time.Second)
		down := e.stream("pbx", int(m.Local.Port()), m.Remote, phone, time.Second)
		for name, st := range map[string]ovslab.RecvStats{phone + "->pbx": up, "pbx->" + phone: down} {
			if st.Packets < 40 || st.DSCP[46] != st.Packets {
				t.Errorf("%s RTP: %d packets, %d with DSCP 46; want ~50, all EF", name, st.Packets, st.DSCP[46])
			}
		}
	}
	// RTCP (RTP ports + 1) is marked both ways, by the per-call flows.
	for _, m := range legs {
		phone := hostOf(m.Remote.Addr())
		up := e.stream(phone, int(m.Remote.Port()+1), netip.AddrPortFrom(m.Local.Addr(), m.Local.Port()+1), "pbx", time.Second)
		down := e.stream("pbx", int(m.Local.Port()+1), netip.AddrPortFrom(m.Remote.Addr(), m.Remote.Port()+1), phone, time.Second)
		for name, st := range map[string]ovslab.RecvStats{phone + "->pbx": up, "pbx->" + phone: down} {
			if st.Packets < 40 || st.DSCP[46] != st.Packets {
				t.Errorf("%s RTCP: %d packets, %d with DSCP 46; want ~50, all EF", name, st.Packets, st.DSCP[46])
			}
		}
	}
	// Other traffic between the same hosts keeps its marking.
	other := e.stream("phone201", 9999, netip.MustParseAddrPort("10.0.100.1:9999"), "pbx", time.Second)
	if other.Packets < 40 || other.DSCP[0] != other.Packets {
		t.Errorf("non-call UDP: %d packets, DSCP %v; want all best effort", other.Packets, other.DSCP)
	}
	// The per-call flows carried the call's packets, RTP and RTCP (the
	// standing flows would have marked them too: the counters show which
	// flow did).
	for _, f := range e.callFlows() {
		if f.Packets == 0 {
			t.Errorf("per-call flow never hit: %s", f.Text)
		}
	}

	if err := e.sim.Hangup(simID, 16); err != nil {
		t.Fatal(err)
	}
	e.waitFlows(0, 2*time.Second)
	if meters, err := e.lab.DumpMeters("sw1"); err != nil || len(meters) != 0 {
		t.Errorf("meters left after hang-up: %v %v", meters, err)
	}
}

// TestDirectMediaCallGetsEF: with direct media the phones send RTP to each
// other once the call is bridged, and Asterisk leaves the path. The legs'
// flows move from phone<->PBX to phone<->phone: the phones' RTP (on ports
// outside the PBX's range, so only per-call flows can mark it) arrives EF
// both ways, other UDP between the same phones does not, and nothing is
// left after the hang-up.
func TestDirectMediaCallGetsEF(t *testing.T) {
	e := newE2E(t, config.PinholeMark)
	a := netip.MustParseAddrPort("10.0.100.201:30000")
	b := netip.MustParseAddrPort("10.0.100.202:30002")
	simID, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 200 * time.Millisecond,
		FromRTP: a, ToRTP: b, DirectMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	// Once both legs are answered and bridged, and before the tracker
	// reports the media direct, the phone-to-phone flows are in place:
	// the phones' first direct packets are EF.
	e.waitPeerFlowsBeforeDirect(a, b)
	for _, dir := range []struct {
		from, to string
		src, dst netip.AddrPort
	}{{"phone201", "phone202", a, b}, {"phone202", "phone201", b, a}} {
		st := e.stream(dir.from, int(dir.src.Port()), dir.dst, dir.to, 500*time.Millisecond)
		if st.Packets < 20 || st.DSCP[46] != st.Packets {
			t.Errorf("%s -> %s first direct RTP: %d packets, %d with DSCP 46; want ~25, all EF", dir.from, dir.to, st.Packets, st.DSCP[46])
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for direct := 0; direct < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("direct media never reported: %+v", e.media)
		}
		time.Sleep(50 * time.Millisecond)
		direct = 0
		e.mu.Lock()
		for _, ms := range e.media {
			for _, m := range ms {
				if m.Direct && (m.Remote == a && m.Local == b || m.Remote == b && m.Local == a) {
					direct++
				}
			}
		}
		e.mu.Unlock()
	}
	// Each leg keeps the stream its own phone sends: RTP and RTCP.
	flows := e.waitFlows(4, 5*time.Second)
	for _, f := range flows {
		if f.Match["nw_src"] == "10.0.100.1" || f.Match["nw_dst"] == "10.0.100.1" {
			t.Errorf("a flow through the PBX outlived direct media: %s", f.Text)
		}
	}
	for _, dir := range []struct {
		from, to string
		src, dst netip.AddrPort
	}{{"phone201", "phone202", a, b}, {"phone202", "phone201", b, a}} {
		st := e.stream(dir.from, int(dir.src.Port()), dir.dst, dir.to, time.Second)
		if st.Packets < 40 || st.DSCP[46] != st.Packets {
			t.Errorf("%s -> %s direct RTP: %d packets, %d with DSCP 46; want ~50, all EF", dir.from, dir.to, st.Packets, st.DSCP[46])
		}
	}
	other := e.stream("phone201", 30100, b, "phone202", time.Second)
	if other.Packets < 40 || other.DSCP[0] != other.Packets {
		t.Errorf("other UDP between the phones: %d packets, DSCP %v; want all best effort", other.Packets, other.DSCP)
	}
	// On hold Asterisk takes the media back (music on hold): the legs'
	// flows go back through the PBX, and come out again on unhold.
	if err := e.sim.Hold(simID, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range e.waitFlows(8, 5*time.Second) {
		if f.Match["nw_src"] != "10.0.100.1" && f.Match["nw_dst"] != "10.0.100.1" {
			t.Errorf("a direct flow outlived the hold: %s", f.Text)
		}
	}
	if err := e.sim.Hold(simID, false); err != nil {
		t.Fatal(err)
	}
	e.waitFlows(4, 5*time.Second)
	if err := e.sim.Hangup(simID, 16); err != nil {
		t.Fatal(err)
	}
	e.waitFlows(0, 2*time.Second)
	if meters, err := e.lab.DumpMeters("sw1"); err != nil || len(meters) != 0 {
		t.Errorf("meters left after hang-up: %v %v", meters, err)
	}
}

func TestStrictModeOnlyCallsPass(t *testing.T) {
	e := newE2E(t, config.PinholeStrict)
	_, legs := e.call(20100)
	e.waitFlows(8, 5*time.Second)
	m := legs[0]
	phone := hostOf(m.Remote.Addr())
	if st := e.stream(phone, int(m.Remote.Port()), m.Local, "pbx", time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTP through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	if st := e.stream("pbx", int(m.Local.Port()), m.Remote, phone, time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTP back through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	// RTCP (RTP ports + 1, both in the PBX's range, which strict mode
	// drops) has pinholes of its own, both ways.
	rtcp := func(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr(), a.Port()+1) }
	if st := e.stream(phone, int(m.Remote.Port()+1), rtcp(m.Local), "pbx", time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTCP through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	if st := e.stream("pbx", int(m.Local.Port()+1), rtcp(m.Remote), phone, time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTCP back through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	if st := e.stream("intruder", 40000, m.Local, "pbx", time.Second); st.Packets != 0 {
		t.Errorf("UDP into the PBX's RTP port from a host not in the call: %d packets arrived, want 0", st.Packets)
	}
	if st := e.stream("intruder", 40001, rtcp(m.Local), "pbx", time.Second); st.Packets != 0 {
		t.Errorf("UDP into the PBX's RTCP port from a host not in the call: %d packets arrived, want 0", st.Packets)
	}
	if st := e.stream("intruder", 40000, netip.MustParseAddrPort("10.0.100.1:9999"), "pbx", time.Second); st.Packets < 40 {
		t.Errorf("UDP outside the RTP range from the same host: %d packets, want ~50", st.Packets)
	}
}

// TestChurnLeavesNothingBehind places 1,000 calls while the AMI
// connection is dropped, the switch reconnects and the controller
// restarts, and checks that every call that was answered had its flows and
// that no per-call flow or meter is left at the end.
func TestChurnLeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("churn test: about a minute")
	}
	e := newE2E(t, config.PinholeMark)
	rng := rand.New(rand.NewPCG(7, 11))
	const calls = 1000
	var ids []string
	for i := 0; i < calls; i++ {
		port := uint16(20000 + 2*(i%4000))
		id, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw",
			// Calls outlast a controller restart (a few seconds), as real
			// ones do; a call that lived and died entirely while no
			// controller ran could not have had flows.
			AnswerAfter: 50 * time.Millisecond, Hold: 3*time.Second + time.Duration(rng.IntN(2000))*time.Millisecond,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port),
			// A third of the calls move their media phone to phone,
			// replacing their flows mid-call.
			DirectMedia: i%3 == 0})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		switch i {
		case 150, 420, 830:
			e.sim.DropConnections()
		case 300, 700:
			// The switch loses its controller connection and comes back.
			if err := e.lab.DelController("sw1"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			if err := e.lab.SetController("sw1", "tcp:"+e.ofAddr); err != nil {
				t.Fatal(err)
			}
		case 550:
			// The restarted controller knows no host addresses (the hosts
			// send nothing in this test, so they never ARP again): it must
			// find the call endpoints by probing for them.
			e.restartController()
		}
		time.Sleep(15 * time.Millisecond)
	}
	// All calls hang up by themselves.
	deadline := time.Now().Add(60 * time.Second)
	for len(e.sim.ActiveCalls()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still up", len(e.sim.ActiveCalls()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.waitFlows(0, 20*time.Second)
	meters, err := e.lab.DumpMeters("sw1")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range meters {
		if m.ID >= qos.MeterIDBase {
			t.Errorf("per-call meter %d left behind", m.ID)
		}
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	missing := 0
	var which []int
	for i, id := range ids {
		if !e.rec.cookies[qos.CallCookie("pbx", id)] {
			missing++
			which = append(which, i)
		}
	}
	if missing > 0 {
		t.Logf("calls without flows, by index: %v", which)
	}
	if missing > 0 {
		t.Errorf("%d of %d answered calls never had per-call flows", missing, calls)
	}
}

// waitPeerFlowsBeforeDirect waits until the switch holds the flows of
// both phone-to-phone streams of a call, and fails the test if the
// tracker reported the call's media direct before they were there.
func (e *e2e) waitPeerFlowsBeforeDirect(a, b netip.AddrPort) {
	e.t.Helper()
	directSeen := func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, ms := range e.media {
			for _, m := range ms {
				if m.Direct && (m.Remote == a || m.Remote == b) {
					return true
				}
			}
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		have := map[[2]string]bool{}
		for _, f := range e.callFlows() {
			have[[2]string{f.Match["nw_src"], f.Match["nw_dst"]}] = true
		}
		// Asked after the dump: the flows must have been there before
		// the report, not installed because of it.
		direct := directSeen()
		if have[[2]string{a.Addr().String(), b.Addr().String()}] && have[[2]string{b.Addr().String(), a.Addr().String()}] {
			if direct {
				e.t.Fatalf("the phone-to-phone flows came only with the tracker's direct-media report")
			}
			return
		}
		if direct {
			e.t.Fatalf("the tracker reported direct media before the phone-to-phone flows were installed")
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no phone-to-phone flows")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
