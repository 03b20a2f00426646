package dp

import (
	"context"
	"errors"
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
	// stores are the registered flow stores (store.go).
	stores []Store
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

// startLocked starts the goroutine of DP d. m.mu is held.
func (m *Manager) startLocked(d *config.DP, q *config.QoS) *dpHandle {
	m.opts.Events.DPAdded(d.ID, d.Name)
	r := newRunner(m, d, q)
	// The first program is published before the goroutine starts, so
	// Program never sees a configured DP without one. Nothing else has r.
	if _, err := r.compile(); err != nil {
		m.log.Error("compile failed", "dp", d.Name, "err", err)
	}
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
