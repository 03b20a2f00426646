package stats

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Options configures a Poller. Zero fields take Gauge's defaults.
type Options struct {
	PortInterval  time.Duration // port stats and port desc; default 10s (gauge.yaml port_stats)
	FlowInterval  time.Duration // flow stats; default 60s (gauge.yaml flow_table)
	MeterInterval time.Duration // meter stats; default 10s
	Timeout       time.Duration // per request; default 5s
	Logger        *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.PortInterval <= 0 {
		o.PortInterval = 10 * time.Second
	}
	if o.FlowInterval <= 0 {
		o.FlowInterval = 60 * time.Second
	}
	if o.MeterInterval <= 0 {
		o.MeterInterval = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Target is one connected switch and how its objects are labelled.
type Target struct {
	DPID   uint64
	DPName string
	Switch Switch
	// PortLabels returns a port's name and description labels; nil, or an
	// empty name, means Faucet's defaults (the number; the name).
	PortLabels func(port uint32) (name, description string)
	// TableName names a table for flow_*_count_<name>; nil, or an empty
	// name, means "table<id>".
	TableName func(id uint8) string
	// CallMeter reports whether a meter belongs to a call (QoS per-call
	// meters). Those are summed into voipsdn_call_meter* per DP instead of
	// one of_meter_* series each, so series do not grow with calls. Nil
	// means no meter is a call's.
	CallMeter func(id uint32) bool
}

// Poller polls switches and caches the results for scrapes.
type Poller struct {
	opts Options

	mu  sync.RWMutex
	dps map[uint64]*entry // by DP ID; entries are replaced, never mutated
}

// New returns a poller. Nothing runs until Run.
func New(opts Options) *Poller {
	return &Poller{opts: opts.withDefaults(), dps: make(map[uint64]*entry)}
}

// Run polls t until ctx ends, then forgets t's results. It polls everything
// once at the start, then each kind at its interval, one request at a time.
// Run for a DP already being polled replaces the earlier one's results.
// It returns ctx's error.
func (p *Poller) Run(ctx context.Context, t Target) error {
	if t.Switch == nil {
		return fmt.Errorf("stats: dp %s: nil switch", t.DPName)
	}
	log := p.opts.Logger.With("component", "stats", "dp", t.DPName)
	r := &run{target: t}
	p.claim(r)
	defer func() {
		p.mu.Lock()
		if e := p.dps[t.DPID]; e != nil && e.run == r {
			delete(p.dps, t.DPID)
		}
		p.mu.Unlock()
	}()

	kinds := []kind{kindPort, kindFlow, kindMeter}
	intervals := map[kind]time.Duration{kindPort: p.opts.PortInterval, kindFlow: p.opts.FlowInterval, kindMeter: p.opts.MeterInterval}
	next := make(map[kind]time.Time, len(kinds))
	now := time.Now()
	for _, k := range kinds {
		next[k] = now
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		now := time.Now()
		soonest := now.Add(time.Hour)
		for _, k := range kinds {
			if !now.Before(next[k]) {
				p.poll(ctx, log, r, k)
				// Schedule from the poll's end: a slow switch gets a full
				// interval of rest, never back-to-back or concurrent polls.
				next[k] = time.Now().Add(intervals[k])
			}
			if next[k].Before(soonest) {
				soonest = next[k]
			}
		}
		timer.Reset(time.Until(soonest))
	}
}

// poll runs one kind of request and stores its result.
func (p *Poller) poll(ctx context.Context, log *slog.Logger, r *run, k kind) {
	t := r.target
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	start := time.Now()
	var (
		ports  []PortStats
		descs  []PortDesc
		flows  []tableTotals
		meters []MeterStats
		calls  callMeterTotals
		err    error
	)
	switch k {
	case kindPort:
		ports, err = t.Switch.PortStats(ctx)
		if err == nil {
			descs, err = t.Switch.PortDesc(ctx)
		}
	case kindFlow:
		var fs []FlowStats
		fs, err = t.Switch.FlowStats(ctx)
		flows = sumTables(fs)
	case kindMeter:
		var ms []MeterStats
		ms, err = t.Switch.MeterStats(ctx)
		meters, calls = splitMeters(ms, t.CallMeter)
	}
	took := time.Since(start)
	if err != nil && ctx.Err() == nil {
		log.Warn("stats: poll failed", "kind", k.String(), "error", err)
	}
	p.update(r, func(e *entry) {
		e.health[k] = health{polled: true, ok: err == nil, took: took}
		if err != nil {
			return // keep the last good values
		}
		switch k {
		case kindPort:
			e.ports, e.descs = ports, descs
		case kindFlow:
			e.tables = flows
		case kindMeter:
			e.meters, e.callMeters = meters, calls
		}
	})
}

// run identifies one call of Run, so a late poll of an older session of
// the same DP never overwrites a newer session's entry.
type run struct {
	target Target
}

// claim makes r the owner of its DP's entry, replacing any earlier run's.
func (p *Poller) claim(r *run) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dps[r.target.DPID] = &entry{run: r}
}

// update replaces r's entry with a modified copy, so scrapes holding the old
// entry are never disturbed. If a newer run has claimed the DP, r's late
// result is dropped.
func (p *Poller) update(r *run, fn func(*entry)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.dps[r.target.DPID]
	if old == nil || old.run != r {
		return
	}
	e := *old
	fn(&e)
	p.dps[r.target.DPID] = &e
}

// PortStatus records the reason of a port-status message from a switch
// (OFPPR_ADD 0, DELETE 1, MODIFY 2) for of_port_reason, and the port's new
// description, which is fresher than the last poll.
func (p *Poller) PortStatus(dpid uint64, reason uint8, d PortDesc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.dps[dpid]
	if old == nil {
		return
	}
	e := *old
	e.reasons = cloneMap(old.reasons)
	e.reasons[d.Port] = reason
	e.descs = append([]PortDesc(nil), old.descs...)
	replaced := false
	for i := range e.descs {
		if e.descs[i].Port == d.Port {
			e.descs[i], replaced = d, true
		}
	}
	if !replaced {
		e.descs = append(e.descs, d)
	}
	p.dps[dpid] = &e
}

func cloneMap(m map[uint32]uint8) map[uint32]uint8 {
	out := make(map[uint32]uint8, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// snapshot returns the current entries; they are immutable.
func (p *Poller) snapshot() []*entry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*entry, 0, len(p.dps))
	for _, e := range p.dps {
		out = append(out, e)
	}
	return out
}
