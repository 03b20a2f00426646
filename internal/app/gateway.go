package app

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/voipsdn/voipsdn/ami/gateway"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/eventbus"
)

// gatewayState is the AMI gateway, started with the voice service (it
// shares that service's AMI sessions). Like voip.asterisk, a change to
// voip.gateway takes effect at the next restart.
type gatewayState struct {
	mu sync.Mutex
	gw *gateway.Gateway
}

// newGateway builds the gateway for c (nil: none). A gateway whose
// secrets cannot be read is logged and not started; the controller and
// the voice service run on.
func (a *App) newGateway(c *config.Gateway) *gateway.Gateway {
	if c == nil {
		return nil
	}
	gc := gateway.Config{Listen: c.Listen, TLSCertFile: c.TLSCertFile, TLSKeyFile: c.TLSKeyFile,
		HTTPListen: c.HTTPListen, ClientQueue: c.ClientQueue, WriteTimeout: c.WriteTimeout}
	for _, u := range c.Users {
		gc.Users = append(gc.Users, gateway.User{Name: u.Name, SecretFile: u.SecretFile, SecretEnv: u.SecretEnv,
			TokenFile: u.TokenFile, Servers: u.Servers, Read: u.Read, Events: u.Events, Actions: u.Actions})
	}
	gc, err := gc.Resolve()
	if err != nil {
		a.log.Error("AMI gateway not started", "err", err)
		return nil
	}
	gw := gateway.New(gc, a.log)
	if err := RegisterGatewayMetrics(a.reg, gw.Stats); err != nil {
		a.log.Error("gateway metrics", "err", err)
	}
	a.gateway.mu.Lock()
	a.gateway.gw = gw
	a.gateway.mu.Unlock()
	return gw
}

// runGateway starts the gateway's listeners under Run's context.
func (a *App) runGateway(gw *gateway.Gateway, c *config.Gateway) {
	ctx := a.runCtx
	a.wg.Go(func() {
		defer gw.Close()
		var wg sync.WaitGroup
		if c.Listen != "" {
			wg.Go(func() {
				if err := gw.ListenAndServe(ctx); err != nil && ctx.Err() == nil {
					a.log.Error("AMI gateway stopped", "err", err)
				}
			})
		}
		if c.HTTPListen != "" {
			wg.Go(func() {
				if err := gw.ListenAndServeHTTP(ctx, a.events); err != nil && ctx.Err() == nil {
					a.log.Error("gateway HTTP API stopped", "err", err)
				}
			})
		}
		wg.Wait()
	})
}

// RegisterGatewayMetrics exposes the gateway's counters, read from stats
// (Gateway.Stats) at scrape time. Exported for the metric-name golden test.
func RegisterGatewayMetrics(reg prometheus.Registerer, stats func() gateway.Stats) error {
	st := func(f func(gateway.Stats) uint64) func() float64 {
		return func() float64 { return float64(f(stats())) }
	}
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "voipsdn_gateway_clients", Help: "AMI and SSE clients connected to the gateway."},
			func() float64 { return float64(stats().Clients) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_gateway_login_failures_total", Help: "Gateway logins and HTTP requests refused for bad credentials."},
			st(func(s gateway.Stats) uint64 { return s.LoginFailures })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_gateway_actions_denied_total", Help: "Actions refused by the user's gateway policy."},
			st(func(s gateway.Stats) uint64 { return s.ActionsDenied })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_gateway_actions_forwarded_total", Help: "Actions forwarded to a PBX."},
			st(func(s gateway.Stats) uint64 { return s.ActionsForwarded })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_gateway_action_errors_total", Help: "Actions that could not be forwarded (PBX not connected, timeout)."},
			st(func(s gateway.Stats) uint64 { return s.ActionErrors })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_gateway_slow_disconnects_total", Help: "Gateway clients disconnected because they did not read their events."},
			st(func(s gateway.Stats) uint64 { return s.SlowDisconnects })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_gateway_events_total", Help: "Events queued to gateway clients, summed over clients."},
			st(func(s gateway.Stats) uint64 { return s.EventsQueued })),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// RegisterEventMetrics exposes the event bus's counters, read from stats
// (Bus.Stats) at scrape time. Exported for the metric-name golden test.
func RegisterEventMetrics(reg prometheus.Registerer, stats func() eventbus.Stats) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_event_records_total", Help: "Event records (Faucet's and VOIP_CALL) published."},
			func() float64 { return float64(stats().Published) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "voipsdn_event_records_dropped_total", Help: "Event records dropped for slow readers (event socket, SSE), summed over readers."},
			func() float64 { return float64(stats().Dropped) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
