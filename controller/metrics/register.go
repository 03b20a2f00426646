package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Options says where state metrics come from.
type Options struct {
	DPs    DPSource     // required
	Config ConfigSource // required
	// Stack, if set, feeds faucet_stack_root_dpid and
	// stack_root_change_count_total.
	Stack   StackSource
	Version string // faucet_pbr_version{version}; "dev" if empty

	// NoRuntime leaves out the Go runtime and process collectors, for a
	// caller that registers them itself.
	NoRuntime bool
}

// Register registers Faucet's metrics on reg: the event counters (returned,
// for the runtime to bump), the collectors that read opts.DPs and
// opts.Config at scrape time, faucet_pbr_version and, unless
// opts.NoRuntime, the Go runtime and process collectors (go_*, process_*,
// which Faucet's instrumentation dashboard queries).
func Register(reg prometheus.Registerer, opts Options) (*Counters, error) {
	if opts.DPs == nil || opts.Config == nil {
		return nil, fmt.Errorf("metrics: Options.DPs and Options.Config are required")
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	c, err := newCounters(reg)
	if err != nil {
		return nil, err
	}
	pbr := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "faucet_pbr_version",
		Help:        "Faucet PBR version (voipsdn's version, for Faucet's dashboards).",
		ConstLabels: prometheus.Labels{"version": version},
	})
	pbr.Set(1)
	cols := []prometheus.Collector{pbr, dpCollector{opts.DPs}, configCollector{opts.Config}}
	if opts.Stack != nil {
		cols = append(cols, stackCollector{opts.Stack})
	}
	if !opts.NoRuntime {
		cols = append(cols,
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, col := range cols {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return c, nil
}
