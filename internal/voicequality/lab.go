package voicequality

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/internal/app"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// The bottleneck lab: one access switch sw1 run by voipsdn, two phones and
// a PC (the best-effort source) on it, and an uplink port to a "WAN/PBX
// side" host that holds the PBX's media address and the iperf3 servers.
// The uplink is the bottleneck: a tc shaper at LinkMbit where it enters
// the WAN side, FIFO or DSCP-honouring (see Shape). Everything sits in one
// VLAN so no routing is needed; only the phone-to-PBX direction crosses
// the shaper, the other way is left unshaped.
var labHosts = []ovslab.HostSpec{
	{Name: "phone201", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
	{Name: "phone202", OFPort: 2, Addrs: []string{"10.0.100.202/24"}},
	{Name: "pc", OFPort: 3, Addrs: []string{"10.0.100.50/24"}},
	{Name: "wan", OFPort: 10, Addrs: []string{"10.0.100.1/24"}},
}

// PBXAddr is the PBX's media address, on the WAN side of the bottleneck.
const PBXAddr = "10.0.100.1"

// udpShare is the part of the best-effort load iperf3 offers as UDP.
const udpShare = 0.75

// phoneRTPBase is the first phone RTP port; call i uses base + 2i.
const phoneRTPBase = 30000

const labPipeline = `
vlans:
  office:
    vid: 100
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, native_vlan: office}
      2: {name: phone202, native_vlan: office}
      3: {name: pc, native_vlan: office}
      10: {name: wan, description: "uplink to the WAN and the PBX (the bottleneck)", native_vlan: office}
`

// ControllerConfig is the controller's configuration for these levers:
// the plain pipeline, plus a voip section when Voipsdn is on.
func (l Levers) ControllerConfig(amiPort int, secretFile string) string {
	cfg := labPipeline
	if !l.Voipsdn {
		return cfg
	}
	cfg += fmt.Sprintf(`
voip:
  asterisk:
    pbx:
      host: 127.0.0.1
      port: %d
      username: voipsdn
      secret_file: %s
  qos:
    rtp_port_range: [10000, 20000]
    pinhole: mark
    pbx_addresses: [%s]
`, amiPort, secretFile, PBXAddr)
	if l.Admission || l.BEPolicing {
		cfg += fmt.Sprintf(`    admission:
      links:
        wan: {dp: sw1, port: wan, capacity_kbps: %g, voice_share_percent: %g, police_best_effort: %t}
`, l.linkKbps, 100*l.voiceBudgetKbps/l.linkKbps, l.BEPolicing)
	}
	return cfg
}

// RunOptions configure Run.
type RunOptions struct {
	// Logger gets the controller's and the simulator's logs (nil: none).
	Logger *slog.Logger
	// Logf gets progress lines (nil: none).
	Logf func(format string, args ...any)
}

// Run runs scenario s in lab, which must be fresh (no bridges or hosts):
// it builds the topology, starts voipsdn in-process and the AMI simulator
// as the PBX, offers the best-effort load, places the calls through the
// simulator and measures their RTP at both ends.
func Run(ctx context.Context, lab *ovslab.Lab, s Scenario, o RunOptions) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup // every goroutine Run starts; waited for on return
	defer wg.Wait()
	defer cancel() // runs first: stops them

	// The PBX.
	secret := randomHex(12)
	sim := amisim.New(amisim.Options{Username: "voipsdn", Secret: secret, Logger: o.Logger,
		PBXAddr: netip.MustParseAddr(PBXAddr), RTPPortBase: 10000, RTCPInterval: -1})
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	amiPort := simLn.Addr().(*net.TCPAddr).Port
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, simLn) }()

	// The controller.
	secretFile := filepath.Join(lab.Dir(), "ami.secret")
	cfgPath := filepath.Join(lab.Dir(), "faucet.yaml")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(cfgPath, []byte(s.Levers.ControllerConfig(amiPort, secretFile)), 0o644); err != nil {
		return Result{}, err
	}
	ofLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	ctl, err := app.New(app.Options{ConfigPath: cfgPath, OFListener: ofLn, Logger: o.Logger})
	if err != nil {
		ofLn.Close()
		return Result{}, fmt.Errorf("voipsdn: %w", err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = ctl.Run(ctx) }()

	// The topology.
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+ofLn.Addr().String()), ovslab.MaxBackoff(time.Second)); err != nil {
		return Result{}, err
	}
	for _, h := range labHosts {
		h.Bridge = "sw1"
		if _, err := lab.AddHost(h); err != nil {
			return Result{}, err
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := lab.WaitConnected(wctx, "sw1"); err != nil {
		return Result{}, fmt.Errorf("sw1 never connected to voipsdn: %w", err)
	}
	for _, h := range labHosts[:3] { // every host is learned from its first packets
		if err := lab.Host(h.Name).WaitPing(wctx, PBXAddr); err != nil {
			return Result{}, fmt.Errorf("%s cannot reach the WAN side: %w", h.Name, err)
		}
	}
	wan := lab.Host("wan")
	if err := Shape(ctx, wan.NS, wan.Iface, s.LinkMbit, s.Levers.Egress); err != nil {
		return Result{}, err
	}
	o.Logf("%s: topology up, bottleneck into %s at %g Mbit/s (%s)", s.Name, wan.Name, s.LinkMbit, s.Levers.Egress)

	// Media addresses, learned over AMI as voipsdn learns them.
	media := make(chan tracker.MediaKnown, 4*len(s.Calls))
	if err := watchMedia(ctx, &wg, amiPort, secret, o.Logger, media); err != nil {
		return Result{}, err
	}

	// Best-effort load from the PC: UDP and paced TCP (see Scenario.Load).
	res := Result{Scenario: s}
	loadFor := s.Warmup + s.Duration + 2*time.Second
	var beMu sync.Mutex
	var beWG sync.WaitGroup
	if s.Load > 0 {
		for i, share := range []float64{udpShare, 1 - udpShare} {
			udp := i == 0
			port := 5201 + i
			waitSrv, err := iperfServer(ctx, wan.NS, port)
			if err != nil {
				return Result{}, err
			}
			wg.Add(1)
			go func() { defer wg.Done(); waitSrv() }()
			beWG.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer beWG.Done()
				// Give the server a moment to listen.
				time.Sleep(300 * time.Millisecond)
				be := iperfClient(ctx, lab.Host("pc").NS, PBXAddr, port, udp, s.Load*s.LinkMbit*share, loadFor)
				beMu.Lock()
				res.BestEffort = append(res.BestEffort, be)
				beMu.Unlock()
			}()
		}
	}
	if err := sleep(ctx, s.Warmup); err != nil {
		return Result{}, err
	}

	// The calls.
	for i, c := range s.Calls {
		port := uint16(phoneRTPBase + 2*i)
		if _, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: c.Codec.Name,
			AnswerAfter: 200 * time.Millisecond, Hold: s.Duration + 10*time.Second,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)}); err != nil {
			return Result{}, fmt.Errorf("placing call %d: %w", i+1, err)
		}
	}
	legs, err := collectLegs(ctx, media, 2*len(s.Calls))
	if err != nil {
		return Result{}, err
	}
	o.Logf("%s: %d calls answered, media flowing for %v", s.Name, len(s.Calls), s.Duration)

	type leg struct {
		m          tracker.MediaKnown
		phone, pbx *Endpoint
		phoneAddr  *net.UDPAddr
		pbxAddr    *net.UDPAddr
	}
	epoch := time.Now()
	var eps []leg
	defer func() {
		for _, l := range eps {
			l.phone.Close()
			l.pbx.Close()
		}
	}()
	for _, m := range legs {
		codec, err := CodecByName(m.Codec)
		if err != nil {
			return Result{}, fmt.Errorf("leg %s: %w", m.Leg.Channel, err)
		}
		ph := hostOf(lab, m.Remote.Addr())
		pc, err := ph.ListenUDP(m.Remote.String())
		if err != nil {
			return Result{}, err
		}
		bc, err := wan.ListenUDP(m.Local.String())
		if err != nil {
			pc.Close()
			return Result{}, err
		}
		l := leg{m: m,
			phone: NewEndpoint(pc, codec, epoch, s.Interval), pbx: NewEndpoint(bc, codec, epoch, s.Interval),
			phoneAddr: net.UDPAddrFromAddrPort(m.Remote), pbxAddr: net.UDPAddrFromAddrPort(m.Local)}
		eps = append(eps, l)
		// RTCP beside RTP on port + 1 at both ends, as phones and
		// Asterisk without rtcp-mux have it.
		phoneRTCP, pbxRTCP := rtcpAddr(m.Remote), rtcpAddr(m.Local)
		prc, err := ph.ListenUDP(phoneRTCP.String())
		if err != nil {
			return Result{}, err
		}
		l.phone.StartRTCP(prc, net.UDPAddrFromAddrPort(pbxRTCP), s.RTCPInterval)
		brc, err := wan.ListenUDP(pbxRTCP.String())
		if err != nil {
			return Result{}, err
		}
		l.pbx.StartRTCP(brc, net.UDPAddrFromAddrPort(phoneRTCP), s.RTCPInterval)
	}
	var sendWG sync.WaitGroup
	for _, l := range eps {
		sendWG.Add(2)
		go func() { defer sendWG.Done(); sc, _ := l.phone.Send(ctx, l.pbxAddr, s.Duration); l.pbx.Expect(sc) }()
		go func() { defer sendWG.Done(); sc, _ := l.pbx.Send(ctx, l.phoneAddr, s.Duration); l.phone.Expect(sc) }()
	}
	sendWG.Wait()
	// The last packets may still sit in the bottleneck's queue.
	if err := sleep(ctx, 500*time.Millisecond); err != nil {
		return Result{}, err
	}
	// Each end reports once more, as a phone does at hang-up, so the
	// last report covers the whole stream; the phones' reports cross the
	// bottleneck and may be lost, as any RTCP may.
	for _, l := range eps {
		_ = l.phone.SendReport()
		_ = l.pbx.SendReport()
	}
	if err := sleep(ctx, 300*time.Millisecond); err != nil {
		return Result{}, err
	}
	for _, l := range eps {
		res.Streams = append(res.Streams,
			StreamResult{Call: l.m.Call, Leg: l.m.Leg.Channel, Dir: Up, Stats: l.pbx.Stats(), Series: l.pbx.Series(), RTCP: l.phone.RTCP()},
			StreamResult{Call: l.m.Call, Leg: l.m.Leg.Channel, Dir: Down, Stats: l.phone.Stats(), Series: l.phone.Series(), RTCP: l.pbx.RTCP()})
	}
	beWG.Wait()
	slices.SortFunc(res.BestEffort, func(a, b BestEffort) int { return strings.Compare(b.Proto, a.Proto) }) // udp, tcp
	res.Queues = QueueStats(ctx, wan.NS)
	return res, nil
}

// watchMedia follows the PBX with voipsdn's own AMI client and call
// tracker and sends every leg's media addresses to out.
func watchMedia(ctx context.Context, wg *sync.WaitGroup, port int, secret string, log *slog.Logger, out chan<- tracker.MediaKnown) error {
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "pbx", Host: "127.0.0.1", Port: port, Username: "voipsdn",
		Secret: ami.NewSecret(secret), Events: []string{"call", "reporting", "system"},
	}, func(d ami.Delivery) { drv.Handle(d) })
	if err != nil {
		return err
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: tracker.Options{Server: "pbx"}, Logger: log}, func(ev tracker.Event) {
		if m, ok := ev.(tracker.MediaKnown); ok && !m.Direct {
			select {
			case out <- m:
			case <-ctx.Done():
			}
		}
	})
	wg.Add(2)
	go func() { defer wg.Done(); _ = drv.Run(ctx) }()
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	return nil
}

// collectLegs waits for n distinct legs' media.
func collectLegs(ctx context.Context, media <-chan tracker.MediaKnown, n int) ([]tracker.MediaKnown, error) {
	seen := map[string]bool{}
	var legs []tracker.MediaKnown
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for len(legs) < n {
		select {
		case m := <-media:
			if !seen[m.Leg.Channel] && m.Local.IsValid() && m.Remote.IsValid() {
				seen[m.Leg.Channel] = true
				legs = append(legs, m)
			}
		case <-deadline.C:
			return nil, fmt.Errorf("only %d of %d call legs reported media", len(legs), n)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return legs, nil
}

// rtcpAddr is the RTCP address beside an RTP one: port + 1.
func rtcpAddr(rtp netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(rtp.Addr(), rtp.Port()+1)
}

func hostOf(lab *ovslab.Lab, a netip.Addr) *ovslab.Host {
	for _, h := range labHosts {
		if netip.MustParsePrefix(h.Addrs[0]).Addr() == a {
			return lab.Host(h.Name)
		}
	}
	return lab.Host("wan")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
