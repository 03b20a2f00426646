package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/voipsdn/voipsdn/controller/metrics"
	"github.com/voipsdn/voipsdn/faucet/config"
)

// registerMetrics registers the controller's collectors on reg: Faucet's
// metrics (controller/metrics) reading the DP manager and the config state
// at scrape time, and the Go and process collectors; it returns the event
// counters the DP manager feeds (events.go). It is the one place further
// collectors (the stats poller) plug in.
func registerMetrics(reg *prometheus.Registry, a *App) (*metrics.Counters, error) {
	return metrics.Register(reg, metrics.Options{
		DPs:    dpSource{a},
		Config: &a.cfgState,
		Stack:  dpSource{a},
	})
}

// dpSource reads the DP manager's snapshots for controller/metrics. It
// holds the App, whose manager is created after the registry.
type dpSource struct{ a *App }

// EachDP implements metrics.DPSource.
func (s dpSource) EachDP(fn func(*metrics.DP)) {
	if m := s.a.mgr; m != nil {
		m.EachMetricsDP(fn)
	}
}

// StackState implements metrics.StackSource.
func (s dpSource) StackState() metrics.StackState {
	if m := s.a.mgr; m != nil {
		return m.MetricsStack()
	}
	return metrics.StackState{}
}

// configState is the state of the last configuration load, for
// controller/metrics.
type configState struct {
	mu    sync.Mutex
	state metrics.ConfigState
}

// ConfigState implements metrics.ConfigSource.
func (c *configState) ConfigState() metrics.ConfigState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// record notes a load attempt: its outcome and, for a good config, the
// files and their hashes.
func (c *configState) record(cfg *config.Config, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.EventID++
	c.state.LoadError = err != nil
	if err != nil || cfg == nil {
		return
	}
	c.state.Applied = 1
	c.state.HashFunc = "sha256"
	c.state.Files, c.state.Hashes = nil, nil
	for _, f := range cfg.Files {
		b, rerr := config.ReadFile(f) // bounded: the file may have changed since the load
		if rerr != nil {
			continue
		}
		h := sha256.Sum256(b)
		c.state.Files = append(c.state.Files, f)
		c.state.Hashes = append(c.state.Hashes, hex.EncodeToString(h[:]))
	}
}

// HTTP bounds for /metrics and the profiler: a scraper that holds a
// keep-alive connection open, or a client that sends its headers slowly,
// gives its connection up instead of piling connections up.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpIdleTimeout       = 60 * time.Second
	httpMaxHeaderBytes    = 64 << 10
)

// metricsMux serves /metrics from reg.
func metricsMux(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(reg, log))
	return mux
}

// pprofMux serves Go's profiler under /debug/pprof/.
func pprofMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// newHTTPServer is an http.Server with the bounds above.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: httpReadHeaderTimeout,
		IdleTimeout: httpIdleTimeout, MaxHeaderBytes: httpMaxHeaderBytes}
}

// serveHTTP serves h on ln until ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, what string) error {
	srv := newHTTPServer(h)
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	log.Info("serving "+what, "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
