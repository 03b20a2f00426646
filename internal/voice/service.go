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
	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/controller/dp/callstore"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// Options configure a Service.
type Options struct {
	VoIP *config.VoIP
	// Switches is the datapaths as the planner sees them. For the default
	// Flows it must be a callstore.Switches (dp's send path); if it can
	// also Register a dp.Store (Switches does), the per-call store
	// registers with the DP manager while the service runs.
	Switches qos.Switches
	// Flows owns the per-call flows; nil for a callstore.Store over Switches.
	Flows Flows
	// Sources are the call sources; nil for those NewSources builds from
	// VoIP (with AMIOptions and Admit).
	Sources []call.Source
	// Metrics may be nil.
	Metrics *voicemetrics.VoiceMetrics
	Logger  *slog.Logger
	// AMIOptions are passed to every AMI client NewSources builds (tests
	// shorten backoffs).
	AMIOptions []ami.Option
	// InstallLatency, if set, also receives each leg's "media known" to
	// barrier-confirmed install time (for load tools and benchmarks).
	InstallLatency func(time.Duration)
	// Outcomes, if set, hears where each leg's flows went or why it is
	// best effort (callstore.Outcomes; used with the default Flows only).
	Outcomes callstore.Outcomes
	// Events, if set, receives every source's events after the service
	// has acted on them (for `voipsdn ami watch`-style output and tests).
	// It must not block.
	Events func(call.Event)
	// Admission is call admission control; nil builds one from
	// VoIP.QoS.Admission over Switches (none when it is not configured).
	// NewSources gets its Admit hook.
	Admission *Admitter
}

// Service follows calls and gives them QoS.
type Service struct {
	opts    Options
	log     *slog.Logger
	flows   Flows
	sources []call.Source
	// direct: servers whose calls may run direct media (their config).
	direct map[string]bool
	// adm is admission control; nil when off.
	adm *Admitter

	ctxMu sync.Mutex
	ctx   context.Context

	// mu guards the merged view of the calls (merge.go) and the sync
	// state. It is held while the service hands the flows an event, so
	// that what two sources say about one call reaches the flows in the
	// order it was decided.
	mu      sync.Mutex
	m       merged
	gating  uint64          // sources whose Resynced sweeps wait for
	synced  uint64          // sources whose view is complete now
	pending map[uint64]bool // switches waiting for a sweep

	// liveMu guards live alone: Sweep asks isLive from the flows'
	// goroutine, which must never wait for mu (held while handing the
	// flows an event).
	liveMu sync.Mutex
	// live counts the merged calls up by cookie (CallCookie): a count,
	// not a set, so that of two calls whose cookies collide the one that
	// ends does not take the other's liveness with it.
	live map[uint64]uint32
}

// maxSources bounds the sources of one service (a bit each).
const maxSources = 64

// New builds the service; secrets are read here (by NewSources), so a
// missing secret is reported before anything connects.
func New(opts Options) (*Service, error) {
	if opts.VoIP == nil || len(opts.VoIP.Asterisk) == 0 {
		return nil, errors.New("voice: no voip.asterisk servers configured")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		opts: opts, log: opts.Logger.With("component", "voice"),
		pending: make(map[uint64]bool),
		live:    make(map[uint64]uint32),
		ctx:     context.Background(),
		m:       newMerged(),
	}
	s.direct = make(map[string]bool, len(opts.VoIP.Asterisk))
	for _, a := range opts.VoIP.Asterisk {
		s.direct[a.Name] = a.DirectMedia
	}
	s.m.policy = &opts.VoIP.QoS
	s.adm = opts.Admission
	if s.adm == nil && opts.VoIP.QoS.Admission != nil && opts.Switches != nil {
		var ls LinkSwitches
		if sw, ok := opts.Switches.(LinkSwitches); ok {
			ls = sw
		}
		s.adm = NewAdmitter(&opts.VoIP.QoS, opts.Switches, ls, opts.Logger)
	}
	s.sources = opts.Sources
	if s.sources == nil {
		so := SourceOptions{Logger: opts.Logger, Metrics: opts.Metrics, AMIOptions: opts.AMIOptions}
		if s.adm != nil {
			so.Admit = s.adm.Admit
		}
		srcs, err := NewSources(opts.VoIP, so)
		if err != nil {
			return nil, err
		}
		s.sources = srcs
	}
	if len(s.sources) == 0 || len(s.sources) > maxSources {
		return nil, fmt.Errorf("voice: %d call sources; want 1 to %d", len(s.sources), maxSources)
	}
	for i, src := range s.sources {
		if _, never := src.(call.NoResync); !never {
			s.gating |= 1 << i
		}
	}
	s.flows = opts.Flows
	if s.flows == nil {
		sw, ok := opts.Switches.(callstore.Switches)
		if !ok {
			return nil, errors.New("voice: the switches offer no send path for per-call flows")
		}
		st := callstore.New(&opts.VoIP.QoS, sw, observer{opts.Metrics, opts.InstallLatency}, opts.Logger)
		st.Outcomes = opts.Outcomes
		s.flows = st
	}
	return s, nil
}

// Run follows the sources until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	s.ctxMu.Lock()
	s.ctx = ctx
	s.ctxMu.Unlock()
	// The per-call store is one of dp's stores: dp hands it each switch's
	// per-call flows at connect, before it installs anything there.
	if reg, ok := s.opts.Switches.(registrar); ok {
		if st, ok := s.flows.(dp.Store); ok {
			defer reg.Register(st)()
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.flows.Run(ctx) })
	if s.adm != nil && s.adm.pol != nil {
		wg.Go(func() { s.adm.pol.run(ctx) })
	}
	errs := make([]error, len(s.sources))
	for i, src := range s.sources {
		wg.Go(func() {
			err := src.Run(ctx, func(ev call.Event) { s.handle(i, ev) })
			if err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("call source stopped", "source", src.Name(), "err", err)
				errs[i] = fmt.Errorf("%s: %w", src.Name(), err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Service) runCtx() context.Context {
	s.ctxMu.Lock()
	defer s.ctxMu.Unlock()
	return s.ctx
}

// SetPolicy applies a reloaded voip.qos section to new legs.
func (s *Service) SetPolicy(ctx context.Context, q *config.QoS) error {
	s.mu.Lock()
	s.m.policy = q
	s.mu.Unlock()
	return s.flows.SetPolicy(ctx, q)
}

// registrar is implemented by Switches: it registers a dp.Store.
type registrar interface {
	Register(st dp.Store) (unregister func())
}

// SwitchUp tells the service a switch (re)connected: its per-call flows
// are swept now if every source that resyncs is in sync, or as soon as
// they are. dp has already handed the store the switch's per-call flows
// (the store adopts those of calls that may still be up); the sweep, gated
// on the sources, decides what is stale.
func (s *Service) SwitchUp(ctx context.Context, dpid uint64) {
	s.mu.Lock()
	ready := s.syncedLocked()
	if !ready {
		s.pending[dpid] = true
	}
	s.mu.Unlock()
	if s.adm != nil && s.adm.pol != nil {
		s.adm.pol.switchUp(dpid)
	}
	if ready {
		s.sweep(ctx, dpid)
	}
	// Legs that waited for this switch, or for hosts behind it, are
	// planned again now rather than at their next retry.
	s.flows.Kick(ctx) //nolint:errcheck // only fails at shutdown
}

// HostLocated tells the service that the controller has just located a
// host's address, so that call legs waiting for it are placed at once.
// It never blocks (the caller is the packet-in path).
func (s *Service) HostLocated(ip netip.Addr) { s.flows.Located(ip) }

// FlowRemoved passes a switch's flow-removed report to the flows' owner,
// which acts on those of per-call flows.
func (s *Service) FlowRemoved(ctx context.Context, dpid uint64, fr *of13.FlowRemoved) {
	if err := s.flows.FlowRemoved(ctx, dpid, fr); err != nil {
		s.log.Debug("flow-removed dropped at shutdown", "err", err)
	}
}

func (s *Service) sweep(ctx context.Context, dpid uint64) {
	if err := s.flows.Sweep(ctx, dpid, s.isLive); err != nil {
		s.log.Warn("sweeping per-call flows failed", "dp", fmt.Sprintf("%016x", dpid), "err", err)
	}
}

// syncedLocked: every source that resyncs has a complete view now.
func (s *Service) syncedLocked() bool { return s.synced&s.gating == s.gating }

// isLive reports whether a per-call cookie belongs to a call up on any
// server, as any source knows it.
func (s *Service) isLive(cookie uint64) bool {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	return s.live[cookie] > 0
}

func (s *Service) setLive(server, id string, up bool) {
	cookie := qos.CallCookie(server, id)
	s.liveMu.Lock()
	switch {
	case up:
		s.live[cookie]++
	case s.live[cookie] > 1:
		s.live[cookie]--
	default:
		delete(s.live, cookie)
	}
	s.liveMu.Unlock()
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
