package dp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// ErrUnknownDP is returned for a datapath ID that is not configured.
var ErrUnknownDP = errors.New("datapath not configured")

// ErrNotConnected is returned for a request that needs a DP's switch while
// it is not connected.
var ErrNotConnected = errors.New("switch not connected")

// Manager runs every configured DP. Create it with New, start it with Run,
// give it a configuration with SetConfig, and hand it to the session layer
// as its Handler.
type Manager struct {
	opts  Options
	log   *slog.Logger
	hosts *hostIndex
	// stack is the stack shared by the stacked DPs (stack.go).
	stack *fabric

	ready  chan struct{} // closed once Run has set runCtx
	runCtx context.Context
	wg     sync.WaitGroup

	cfgMu sync.Mutex // serialises SetConfig
	mu    sync.RWMutex
	cfg   *config.Config
	dps   map[uint64]*dpHandle
}

// dpHandle is a running DP and the means to stop it.
type dpHandle struct {
	r      *runner
	cancel context.CancelFunc
}

// New returns a Manager with no configuration.
func New(opts Options) *Manager {
	opts = opts.withDefaults()
	hosts := newHostIndex()
	hosts.located = opts.HostLocated
	return &Manager{
		opts:  opts,
		log:   opts.Logger.With("component", "dp"),
		hosts: hosts,
		stack: newFabric(),
		ready: make(chan struct{}),
		dps:   map[uint64]*dpHandle{},
	}
}

// Run runs the DPs until ctx ends, then waits for their goroutines.
func (m *Manager) Run(ctx context.Context) error {
	m.runCtx = ctx
	close(m.ready)
	<-ctx.Done()
	m.wg.Wait()
	return nil
}

// SetConfig applies a validated configuration: DPs that appeared start,
// DPs that went away stop (their switches are closed), and DPs whose
// configuration changed are reconfigured in place without disconnecting
// their switches. It returns the errors of DPs that could not apply it.
func (m *Manager) SetConfig(ctx context.Context, cfg *config.Config) error {
	select {
	case <-m.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()

	// All or nothing: every DP must compile before any is changed.
	q := qosOf(cfg)
	for _, d := range cfg.DPs {
		if _, err := compileDP(d, nil, q); err != nil {
			return err
		}
	}

	m.mu.Lock()
	m.cfg = cfg
	m.stack.configure(cfg)
	var started, stopped []*dpHandle
	var changed []*dpHandle
	var changedTo []*config.DP
	want := map[uint64]bool{}
	for _, d := range cfg.DPs {
		want[d.ID] = true
		h, ok := m.dps[d.ID]
		if !ok {
			h = m.startLocked(d, q)
			started = append(started, h)
			continue
		}
		// Every surviving DP recompiles; the owner cache turns that
		// into flow-mods for changed owners only, so an unchanged DP
		// sends nothing.
		changed = append(changed, h)
		changedTo = append(changedTo, d)
	}
	for id, h := range m.dps {
		if !want[id] {
			delete(m.dps, id)
			stopped = append(stopped, h)
		}
	}
	m.mu.Unlock()

	for _, h := range stopped {
		m.log.Info("dp removed from configuration", "dpid", fmt.Sprintf("%#x", h.r.id))
		_ = h.r.do(ctx, func(context.Context) error {
			if h.r.st.sw != nil {
				_ = h.r.st.sw.Close()
			}
			return nil
		})
		h.cancel()
		<-h.r.done
		m.opts.Events.DPRemoved(h.r.id, h.r.cfg.Load().Name)
	}
	for _, h := range started {
		m.log.Info("dp added", "dp", h.r.st.dp.Name, "dpid", fmt.Sprintf("%#x", h.r.id))
	}
	var errs []error
	for i, h := range changed {
		d := changedTo[i]
		if err := h.r.do(ctx, func(ctx context.Context) error { return h.r.reconfigure(ctx, d, q) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// startLocked starts the goroutine of DP d. m.mu is held.
func (m *Manager) startLocked(d *config.DP, q *config.QoS) *dpHandle {
	m.opts.Events.DPAdded(d.ID, d.Name)
	r := newRunner(m, d, q)
	ctx, cancel := context.WithCancel(m.runCtx)
	h := &dpHandle{r: r, cancel: cancel}
	m.dps[d.ID] = h
	m.wg.Go(func() { r.run(ctx) })
	return h
}

// qosOf returns the configuration's QoS policy, nil without a voip section.
func qosOf(cfg *config.Config) *config.QoS {
	if cfg.VoIP == nil {
		return nil
	}
	return &cfg.VoIP.QoS
}

// runner returns the running DP with datapath ID id, or nil.
func (m *Manager) runner(id uint64) *runner {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if h, ok := m.dps[id]; ok {
		return h.r
	}
	return nil
}

// Config returns the configuration being run, nil before the first one.
func (m *Manager) Config() *config.Config {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.cfg
}

// EachDP calls fn with a snapshot of every configured DP, in no particular
// order. It does not wait for the DPs' goroutines, so it is cheap enough for
// a Prometheus scrape.
func (m *Manager) EachDP(fn func(Status)) {
	m.mu.RLock()
	rs := make([]*runner, 0, len(m.dps))
	for _, h := range m.dps {
		rs = append(rs, h.r)
	}
	m.mu.RUnlock()
	for _, r := range rs {
		fn(r.status())
	}
}
