package voice

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

// The OVS lab harness of the end-to-end voice tests (e2e_test.go): a
// switch, phones and a PBX in namespaces, the simulator, the controller.

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
