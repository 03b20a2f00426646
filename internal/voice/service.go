package voice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/controller/dp/callstore"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// Options configure a Service.
type Options struct {
	VoIP     *config.VoIP
	Switches qos.Switches
	// Metrics may be nil.
	Metrics *voicemetrics.VoiceMetrics
	Logger  *slog.Logger
	// AMIOptions are passed to every AMI client (tests shorten backoffs).
	AMIOptions []ami.Option
	// InstallLatency, if set, also receives each leg's "media known" to
	// barrier-confirmed install time (for load tools and benchmarks).
	InstallLatency func(time.Duration)
	// Events, if set, receives every tracker event after the service has
	// acted on it (for `voipsdn ami watch`-style output and tests). It must
	// not block.
	Events func(tracker.Event)
}

// Service follows calls and gives them QoS.
type Service struct {
	opts    Options
	log     *slog.Logger
	engine  *callstore.Store
	mgr     *ami.Manager
	drivers map[string]*tracker.Driver
	// direct: servers whose calls may run direct media (their config).
	direct map[string]bool

	ctxMu sync.Mutex
	ctx   context.Context

	mu sync.Mutex
	// live counts, per server, the calls up on it by cookie (CallCookie):
	// a few bytes a call, and what isLive is asked about. A count, not a
	// set, so that of two calls whose cookies collide the one that ends
	// does not take the other's liveness with it.
	live    map[string]map[uint64]uint32
	synced  map[string]bool // servers whose last resync completed
	pending map[uint64]bool // switches waiting for a sweep
}

// New builds the service; secrets are read here, so a missing secret is
// reported before anything connects.
func New(opts Options) (*Service, error) {
	if opts.VoIP == nil || len(opts.VoIP.Asterisk) == 0 {
		return nil, errors.New("voice: no voip.asterisk servers configured")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		opts: opts, log: opts.Logger.With("component", "voice"),
		drivers: make(map[string]*tracker.Driver),
		live:    make(map[string]map[uint64]uint32),
		synced:  make(map[string]bool),
		pending: make(map[uint64]bool),
		ctx:     context.Background(),
	}
	cfgs := make([]ami.ServerConfig, 0, len(opts.VoIP.Asterisk))
	for _, a := range opts.VoIP.Asterisk {
		sc, err := ServerConfig(a).Resolve()
		if err != nil {
			return nil, fmt.Errorf("voice: %w", err)
		}
		cfgs = append(cfgs, sc)
		s.live[a.Name] = make(map[uint64]uint32)
	}
	amiOpts := []ami.Option{ami.WithLogger(opts.Logger)}
	var onPanic func(server, component string)
	if m := opts.Metrics; m != nil {
		onPanic = m.PanicRecovered
		amiOpts = append(amiOpts, ami.WithPanicHook(onPanic))
	}
	amiOpts = append(amiOpts, opts.AMIOptions...)
	mgr, err := ami.NewManager(cfgs, s.deliver, amiOpts...)
	if err != nil {
		return nil, fmt.Errorf("voice: %w", err)
	}
	s.mgr = mgr
	byName := make(map[string]*config.AsteriskServer, len(opts.VoIP.Asterisk))
	s.direct = make(map[string]bool, len(opts.VoIP.Asterisk))
	for _, a := range opts.VoIP.Asterisk {
		byName[a.Name] = a
		s.direct[a.Name] = a.DirectMedia
	}
	for _, name := range mgr.Names() {
		a := byName[name]
		topt := tracker.Options{Server: name, MaxCalls: a.MaxCalls, MaxLegs: a.MaxLegs}
		if !a.DirectMedia {
			topt.DirectMediaDelay = -1
		}
		s.drivers[name] = tracker.NewDriver(mgr.Client(name), tracker.DriverOptions{
			Tracker: topt, Logger: opts.Logger, OnPanic: onPanic,
		}, s.emit)
	}
	s.engine = callstore.New(&opts.VoIP.QoS, opts.Switches, observer{opts.Metrics, opts.InstallLatency}, opts.Logger)
	return s, nil
}

// ServerConfig converts a voip.asterisk entry to the AMI client's config.
func ServerConfig(a *config.AsteriskServer) ami.ServerConfig {
	return ami.ServerConfig{
		Name: a.Name, Host: a.Host, Port: int(a.Port), Username: a.Username,
		SecretFile: a.SecretFile, SecretEnv: a.SecretEnv,
		TLS: a.TLS, TLSCAFile: a.TLSCAFile, TLSSkipVerify: a.TLSSkipVerify,
		Auth: a.Auth, Events: a.Events, EventFilter: a.EventFilter, PingInterval: a.PingInterval,
	}
}

// Run follows the servers until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	s.ctxMu.Lock()
	s.ctx = ctx
	s.ctxMu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.engine.Run(ctx) }()
	for _, d := range s.drivers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = d.Run(ctx) }()
	}
	err := s.mgr.Run(ctx)
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (s *Service) runCtx() context.Context {
	s.ctxMu.Lock()
	defer s.ctxMu.Unlock()
	return s.ctx
}

// SetPolicy applies a reloaded voip.qos section to new legs.
func (s *Service) SetPolicy(ctx context.Context, q *config.QoS) error {
	return s.engine.SetPolicy(ctx, q)
}

// SwitchUp tells the service a switch (re)connected: its per-call flows
// are swept now if every AMI server is in sync, or as soon as they are.
func (s *Service) SwitchUp(ctx context.Context, dpid uint64) {
	s.mu.Lock()
	ready := s.allSyncedLocked()
	if !ready {
		s.pending[dpid] = true
	}
	s.mu.Unlock()
	// The switch may hold flows of calls that are up, left by an earlier
	// run: read them now, so the calls' legs adopt them rather than
	// install second copies; the sweep decides later what is stale.
	s.engine.Scan(ctx, dpid) //nolint:errcheck // only fails at shutdown
	if ready {
		s.sweep(ctx, dpid)
	}
	// Legs that waited for this switch, or for hosts behind it, are
	// planned again now rather than at their next retry.
	s.engine.Kick(ctx) //nolint:errcheck // only fails at shutdown
}

// HostLocated tells the service that the controller has just located a
// host's address, so that call legs waiting for it are placed at once.
// It never blocks (the caller is the packet-in path).
func (s *Service) HostLocated(ip netip.Addr) { s.engine.Located(ip) }

// FlowRemoved passes a switch's flow-removed report to the QoS engine,
// which acts on those of per-call flows.
func (s *Service) FlowRemoved(ctx context.Context, dpid uint64, fr *of13.FlowRemoved) {
	if err := s.engine.FlowRemoved(ctx, dpid, fr); err != nil {
		s.log.Debug("flow-removed dropped at shutdown", "err", err)
	}
}

func (s *Service) sweep(ctx context.Context, dpid uint64) {
	if err := s.engine.Sweep(ctx, dpid, s.isLive); err != nil {
		s.log.Warn("sweeping per-call flows failed", "dp", fmt.Sprintf("%016x", dpid), "err", err)
	}
}

func (s *Service) allSyncedLocked() bool {
	for name := range s.live {
		if !s.synced[name] {
			return false
		}
	}
	return true
}

// isLive reports whether a per-call cookie belongs to a call up on any
// server.
func (s *Service) isLive(cookie uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, calls := range s.live {
		if _, ok := calls[cookie]; ok {
			return true
		}
	}
	return false
}

// deliver routes a client's deliveries to its tracker driver, and keeps the
// AMI metrics.
func (s *Service) deliver(dl ami.Delivery) {
	m := s.opts.Metrics
	switch dl.Kind {
	case ami.DeliveryConnected:
		// Until the tracker's resync completes, this server's view of the
		// calls is incomplete: hold sweeps back.
		s.mu.Lock()
		s.synced[dl.Server] = false
		s.mu.Unlock()
		if m != nil {
			m.SetAMIState(dl.Server, voicemetrics.AMIResyncing)
		}
	case ami.DeliveryDisconnected:
		s.mu.Lock()
		s.synced[dl.Server] = false
		s.mu.Unlock()
		if m != nil {
			m.SetAMIState(dl.Server, voicemetrics.AMIDisconnected)
		}
	case ami.DeliveryOverflow:
		if m != nil {
			m.AMIEventsDropped(dl.Server, int(dl.Dropped))
		}
	case ami.DeliveryEvent:
		if m != nil {
			m.AMIEvent(dl.Server, dl.Msg.Event())
		}
	}
	if d := s.drivers[dl.Server]; d != nil {
		d.Handle(dl)
	}
}

// emit acts on one tracker event; drivers call it from their goroutines.
func (s *Service) emit(ev tracker.Event) {
	ctx := s.runCtx()
	h := ev.EventHeader()
	switch e := ev.(type) {
	case tracker.CallStarted:
		s.log.Info("call started", "server", h.Server, "call", h.Call, "leg", e.Leg.Uniqueid, "resynced", e.Resynced)
		s.setLive(h.Server, h.Call, true)
	case tracker.MediaKnown:
		leg := qos.Leg{Server: h.Server, Call: h.Call, ID: e.Leg.Uniqueid, Local: e.Local, Remote: e.Remote, Codec: e.Codec,
			Direct: e.Direct, MayGoDirect: s.direct[h.Server]}
		if err := s.engine.MediaKnown(ctx, leg, time.Now()); err != nil {
			s.log.Debug("media known dropped at shutdown", "err", err)
		}
	case tracker.LegEnded:
		s.engine.LegEnded(ctx, h.Server, h.Call, e.Leg.Uniqueid) //nolint:errcheck // only fails at shutdown
	case tracker.CallEnded:
		outcome := tracker.Outcome(e)
		if m := s.opts.Metrics; m != nil {
			m.CallEnded(h.Server, outcome)
		}
		s.log.Info("call ended", "server", h.Server, "call", h.Call, "outcome", outcome, "cause", e.Cause, "reason", e.Reason)
		s.setLive(h.Server, h.Call, false)
		s.engine.CallEnded(ctx, h.Server, h.Call) //nolint:errcheck // only fails at shutdown
	case tracker.QualityReport:
		if m := s.opts.Metrics; m != nil {
			m.ObserveRTCP(qualityFigures(e))
		}
	case tracker.Resynced:
		s.resynced(ctx, h.Server, e.Calls)
	case tracker.ChannelRefused:
		if m := s.opts.Metrics; m != nil {
			m.ChannelRefused(h.Server, e.Limit)
		}
	}
	if s.opts.Events != nil {
		s.opts.Events(ev)
	}
}

func (s *Service) setLive(server, call string, up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	live, cookie := s.live[server], qos.CallCookie(server, call)
	switch {
	case up:
		live[cookie]++
	case live[cookie] > 1:
		live[cookie]--
	default:
		delete(live, cookie)
	}
	if m := s.opts.Metrics; m != nil {
		n := 0
		for _, calls := range s.live {
			n += len(calls)
		}
		m.SetCallsActive(n)
	}
}

// resynced records a server's fresh view of its calls and runs the sweeps
// that waited for every server to be in sync.
func (s *Service) resynced(ctx context.Context, server string, calls []string) {
	s.mu.Lock()
	live := make(map[uint64]uint32, len(calls))
	for _, c := range calls {
		live[qos.CallCookie(server, c)]++
	}
	s.live[server] = live
	s.synced[server] = true
	var due []uint64
	if s.allSyncedLocked() {
		for dpid := range s.pending {
			due = append(due, dpid)
		}
		clear(s.pending)
	}
	s.mu.Unlock()
	if m := s.opts.Metrics; m != nil {
		m.SetAMIState(server, voicemetrics.AMILive)
	}
	for _, dpid := range due {
		s.sweep(ctx, dpid)
	}
}

// observer feeds the engine's measurements to the voice metrics.
type observer struct {
	m    *voicemetrics.VoiceMetrics
	hook func(time.Duration)
}

func (o observer) InstallLatency(d time.Duration) {
	if o.m != nil {
		o.m.ObserveInstallLatency(d)
	}
	if o.hook != nil {
		o.hook(d)
	}
}

func (o observer) Fallback(r qos.Reason) {
	if o.m != nil {
		o.m.Fallback(string(r))
	}
}

func (o observer) Calls(active, flows int) {
	if o.m != nil {
		o.m.SetCallsWithQoS(active)
		o.m.SetMediaFlowsInstalled(flows)
	}
}
