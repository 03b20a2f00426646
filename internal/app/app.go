package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/controller/metrics"
	"github.com/voipsdn/voipsdn/controller/stats"
	"github.com/voipsdn/voipsdn/controller/team"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/eventbus"
	"github.com/voipsdn/voipsdn/internal/netevents"
)

// Options configures an App.
type Options struct {
	// ConfigPath is the main Faucet configuration file.
	ConfigPath string
	// OFListen is the OpenFlow listen address (":6653"); OFListener, if
	// set, is used instead.
	OFListen   string
	OFListener net.Listener
	// PromListen is the Prometheus listen address; empty disables it.
	PromListen string
	// PprofListen, if set, serves Go's profiler under /debug/pprof/ on
	// this address, never on the Prometheus one: the profiler reveals the
	// command line and costs the controller CPU, so it is off unless an
	// operator names an address for it (loopback, normally).
	PprofListen string
	// OFTLS, if set, makes the OpenFlow port TLS-only (see
	// controller.ServerTLSConfig); OFBindDPID then requires each switch's
	// certificate to name its datapath id.
	OFTLS      *tls.Config
	OFBindDPID bool
	// Watch polls the configuration files for changes this often; zero
	// reloads only on Reload (and while no valid config is loaded).
	Watch time.Duration
	// Logger receives all logs; nil discards them.
	Logger *slog.Logger
	// DP tunes the DP manager (rate limits, queues, clock).
	DP dp.Options
	// FaucetEventSock, if set, is the Unix socket where Faucet's event
	// records (and VOIP_CALL records) are served, as FAUCET_EVENT_SOCK
	// does for Faucet.
	FaucetEventSock string
	// Team, if set, makes this instance one of a controller team
	// coordinated through etcd (docs/cluster.md); nil runs alone.
	Team *team.Config
}

// App is a running controller.
type App struct {
	opts     Options
	log      *slog.Logger
	mgr      *dp.Manager
	reloader *config.Reloader
	srv      *controller.Server
	ofLn     net.Listener
	promLn   net.Listener
	pprofLn  net.Listener
	reg      *prometheus.Registry
	poller   *stats.Poller
	team     *teamState

	reloads  chan chan error
	cfgState configState
	voice    voiceState
	// events carries Faucet's records and the call records to the event
	// socket and the gateway's SSE stream.
	events  *eventbus.Bus
	gateway gatewayState
	// runCtx and wg belong to Run: goroutines started while it runs
	// (the voice service, one stats poller per switch session) join its
	// WaitGroup.
	runCtx  context.Context
	wg      sync.WaitGroup
	mu      sync.Mutex
	lastErr error
}

// New prepares an App and opens its listeners, so that their addresses are
// known before Run.
func New(opts Options) (*App, error) {
	if opts.ConfigPath == "" {
		return nil, errors.New("no configuration file (--config or FAUCET_CONFIG)")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{opts: opts, log: opts.Logger, reloads: make(chan chan error)}
	// The registry comes first: the DP manager feeds its event counters.
	a.reg = prometheus.NewRegistry()
	counters, err := registerMetrics(a.reg, a)
	if err != nil {
		return nil, err
	}
	dpOpts := opts.DP
	dpOpts.Logger = opts.Logger
	dpOpts.SwitchUp = a.switchUp
	dpOpts.HostLocated = a.hostLocated
	dpOpts.FlowRemoved = a.flowRemoved
	a.events = eventbus.New()
	if err := RegisterEventMetrics(a.reg, a.events.Stats); err != nil {
		return nil, err
	}
	dpOpts.Events = netevents.NewDPEvents(newDPEvents(counters), a.events)
	a.mgr = dp.New(dpOpts)
	a.poller = stats.New(stats.Options{Logger: opts.Logger})
	if err := a.poller.Register(a.reg); err != nil {
		return nil, err
	}
	a.reloader = config.NewReloader(opts.ConfigPath,
		config.WithLogger(opts.Logger),
		config.WithApply(a.apply))
	a.srv = &controller.Server{
		Handler: handler{Handler: a.mgr, a: a},
		Logger:  opts.Logger.With("component", "controller"),
		Accept:  a.mgr.Accepts,
		// The DP manager times packet-ins itself (events.go).
		Hook:      counters.SessionHook(),
		TLSConfig: opts.OFTLS,
		BindDPID:  opts.OFBindDPID,
	}
	if err := a.reg.Register(metrics.ServerStats(a.srv.Stats)); err != nil {
		return nil, err
	}
	if opts.Team != nil {
		if err := a.setupTeam(); err != nil {
			return nil, err
		}
	}
	a.ofLn = opts.OFListener
	if a.ofLn == nil {
		ln, err := net.Listen("tcp", opts.OFListen)
		if err != nil {
			return nil, fmt.Errorf("openflow listen: %w", err)
		}
		a.ofLn = ln
	}
	if opts.PromListen != "" {
		ln, err := net.Listen("tcp", opts.PromListen)
		if err != nil {
			a.ofLn.Close()
			return nil, fmt.Errorf("prometheus listen: %w", err)
		}
		a.promLn = ln
	}
	if opts.PprofListen != "" {
		ln, err := net.Listen("tcp", opts.PprofListen)
		if err != nil {
			a.ofLn.Close()
			if a.promLn != nil {
				a.promLn.Close()
			}
			return nil, fmt.Errorf("pprof listen: %w", err)
		}
		a.pprofLn = ln
	}
	return a, nil
}

// Manager is the DP manager: the hook for the per-call store (ApplyOwner,
// Apply, Flows, LocateIP, Program) and for metrics (EachDP).
func (a *App) Manager() *dp.Manager { return a.mgr }

// Registry is the App's Prometheus registry.
func (a *App) Registry() *prometheus.Registry { return a.reg }

// OFAddr is the OpenFlow listen address.
func (a *App) OFAddr() net.Addr { return a.ofLn.Addr() }

// PprofAddr is the profiler's listen address, nil when disabled.
func (a *App) PprofAddr() net.Addr {
	if a.pprofLn == nil {
		return nil
	}
	return a.pprofLn.Addr()
}

// PromAddr is the Prometheus listen address, nil when disabled.
func (a *App) PromAddr() net.Addr {
	if a.promLn == nil {
		return nil
	}
	return a.promLn.Addr()
}

// Config returns the running configuration, nil before a valid one loaded.
func (a *App) Config() *config.Config { return a.reloader.Current() }

// LastError is the error of the last load attempt, nil if it succeeded.
func (a *App) LastError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastErr
}

// Run runs the controller until ctx ends. A configuration that fails to
// load at start-up is reported and the controller keeps running without
// it; Run fails only if a listener does.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.runCtx = ctx
	wg := &a.wg
	errc := make(chan error, 8)
	wg.Go(func() { _ = a.mgr.Run(ctx) })
	if p := a.opts.FaucetEventSock; p != "" {
		// Subscribed before the first configuration, whose records it keeps.
		sock := netevents.NewSocket(p, a.events, a.log.With("component", "event_sock"))
		wg.Go(func() {
			if err := sock.Run(ctx); err != nil && ctx.Err() == nil {
				errc <- err
			}
		})
	}
	if a.team != nil {
		wg.Go(func() { a.runTeam(ctx) })
	}
	a.reload(ctx)
	wg.Go(func() {
		if err := a.srv.Serve(ctx, a.ofLn); err != nil && ctx.Err() == nil {
			errc <- fmt.Errorf("openflow server: %w", err)
		}
	})
	if a.promLn != nil {
		wg.Go(func() {
			if err := serveHTTP(ctx, a.promLn, metricsMux(a.reg, a.log), a.log, "metrics"); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("prometheus: %w", err)
			}
		})
	}
	if a.pprofLn != nil {
		wg.Go(func() {
			if err := serveHTTP(ctx, a.pprofLn, pprofMux(), a.log, "pprof"); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("pprof: %w", err)
			}
		})
	}
	wg.Go(func() { a.watch(ctx) })
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	wg.Wait()
	return err
}
