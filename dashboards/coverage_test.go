package dashboards

import (
	"context"
	"encoding/json"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/voipsdn/voipsdn/ami/gateway"
	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/controller/metrics"
	"github.com/voipsdn/voipsdn/controller/stats"
	"github.com/voipsdn/voipsdn/controller/team"
	"github.com/voipsdn/voipsdn/internal/app"
	"github.com/voipsdn/voipsdn/internal/eventbus"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
)

// notExported are metrics the dashboards query that voipsdn deliberately
// does not export: Faucet's Python interpreter info.
var notExported = map[string]bool{"python_info": true}

// targetLabels are attached by Prometheus at scrape time, not by exporters.
var targetLabels = map[string]bool{"job": true, "instance": true, "__name__": true}

// fakeStatsSwitch answers every stats request with one item (two meters:
// one of the config's and one of a call's).
type fakeStatsSwitch struct{}

func (fakeStatsSwitch) PortStats(context.Context) ([]stats.PortStats, error) {
	return []stats.PortStats{{Port: 1, RxBytes: 1, TxBytes: 1}}, nil
}
func (fakeStatsSwitch) PortDesc(context.Context) ([]stats.PortDesc, error) {
	return []stats.PortDesc{{Port: 1, State: 4}}, nil
}
func (fakeStatsSwitch) FlowStats(context.Context) ([]stats.FlowStats, error) {
	return []stats.FlowStats{{TableID: 0, PacketCount: 1, ByteCount: 1}}, nil
}
func (fakeStatsSwitch) MeterStats(context.Context) ([]stats.MeterStats, error) {
	return []stats.MeterStats{{MeterID: 1}, {MeterID: 4096}}, nil
}

// exported registers every voipsdn collector, fed with fake sources that
// have one of everything, and returns metric name -> label names.
func exported(t *testing.T) map[string]map[string]bool {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	exportedOn(t, reg)
	t.Cleanup(func() { lintOurs(t, reg) })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return names(mfs)
}

// exportedOn registers every collector on reg, with fakes, and returns once
// the stats poller has filled its cache.
func exportedOn(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	rec := &describing{Registerer: reg}
	dp := metrics.DP{
		ID: 1, Name: "sw1", Connected: true, Desc: &metrics.DescStats{},
		Ports: []metrics.Port{{Number: 1, Up: true}, {Number: 2, Up: true, LACP: &metrics.PortLACP{State: 3, Role: 2, PortID: 2, Changes: 1}},
			{Number: 3, Up: true, Stack: &metrics.PortStack{State: 3, Changes: 2}}},
		Stack:       &metrics.DPStack{Root: true},
		StackProbes: 1,
		VLANs:       []metrics.VLAN{{VID: 100}},
		Tables:      []metrics.Table{{ID: 0, Name: "vlan"}},
		BGP:         []metrics.BGPNeighbor{{VID: 100, Neighbor: "10.0.0.2"}},
		EachHost: func(fn func(metrics.Host)) {
			fn(metrics.Host{Port: 1, VID: 100, MAC: net.HardwareAddr{0, 0, 0, 0, 0, 1}})
		},
	}
	c, err := metrics.Register(rec, metrics.Options{DPs: metrics.StaticDPs{dp}, Config: metrics.StaticConfig{HashFunc: "sha256"},
		Stack: metrics.StaticStack{RootDPID: 1, RootChanges: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c.DP(1, "sw1")
	if err := rec.Register(metrics.ServerStats(func() controller.Stats { return controller.Stats{} })); err != nil {
		t.Fatal(err)
	}
	if err := app.RegisterGatewayMetrics(rec, func() gateway.Stats { return gateway.Stats{} }); err != nil {
		t.Fatal(err)
	}
	if err := app.RegisterEventMetrics(rec, func() eventbus.Stats { return eventbus.Stats{} }); err != nil {
		t.Fatal(err)
	}
	tm, err := team.NewMetrics(rec)
	if err != nil {
		t.Fatal(err)
	}
	tm.SetRole(1, "sw1", true)
	tm.Elected(1, "sw1")
	tm.Takeover(time.Second)
	vm, err := voicemetrics.New(rec, voicemetrics.Options{Servers: []string{"pbx1"}, FallbackReasons: []string{"switch_down"}})
	if err != nil {
		t.Fatal(err)
	}
	vm.AMIEvent("pbx1", "Newchannel")
	vm.ChannelRefused("pbx1", "max_calls")
	vm.PanicRecovered("pbx1", "reader")

	p := stats.New(stats.Options{PortInterval: time.Hour, FlowInterval: time.Hour, MeterInterval: time.Hour})
	if err := p.Register(rec); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = p.Run(ctx, stats.Target{DPID: 1, DPName: "sw1", Switch: fakeStatsSwitch{},
			CallMeter: func(id uint32) bool { return id >= 4096 }})
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })

	// The poller fills its cache on its own goroutine; wait for all three
	// kinds (the poll-health series say when).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		if countSeries(mfs, "voipsdn_stats_poll_success") == 3 {
			return rec.names()
		}
		if time.Now().After(deadline) {
			t.Fatal("stats poller never polled")
		}
	}
}

// describing records the name of every metric a collector describes as it
// is registered, so that a test can tell a metric that exports no series
// (a vector nobody fed) from one that does not exist.
type describing struct {
	prometheus.Registerer
	described []string
}

func (d *describing) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		// Desc keeps its name private; its String form starts
		// Desc{fqName: "name", ...}.
		s := desc.String()
		if _, rest, ok := strings.Cut(s, `fqName: "`); ok {
			name, _, _ := strings.Cut(rest, `"`)
			d.described = append(d.described, name)
		}
	}
	return d.Registerer.Register(c)
}

func (d *describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := d.Register(c); err != nil {
			panic(err)
		}
	}
}

func (d *describing) names() []string { return d.described }

func countSeries(mfs []*dto.MetricFamily, name string) int {
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// names maps each exposed series name (histograms as _bucket, _sum and
// _count) to its label names.
func names(mfs []*dto.MetricFamily) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	add := func(name string, labels []*dto.LabelPair, extra ...string) {
		set := out[name]
		if set == nil {
			set = map[string]bool{}
			out[name] = set
		}
		for _, l := range labels {
			set[l.GetName()] = true
		}
		for _, e := range extra {
			set[e] = true
		}
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(mf.GetName()+"_bucket", m.GetLabel(), "le")
				add(mf.GetName()+"_sum", m.GetLabel())
				add(mf.GetName()+"_count", m.GetLabel())
			case dto.MetricType_SUMMARY:
				add(mf.GetName(), m.GetLabel(), "quantile")
				add(mf.GetName()+"_sum", m.GetLabel())
				add(mf.GetName()+"_count", m.GetLabel())
			default:
				add(mf.GetName(), m.GetLabel())
			}
		}
	}
	return out
}

var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// queries returns every PromQL query of a dashboard (panel targets and
// template variables) with the legend of its target.
func queries(t *testing.T, file string, raw []byte) (out [][2]string) {
	d := parse(t, file, raw)
	for _, p := range flatten(d.Panels) {
		for _, tg := range p.Targets {
			// Faucet's rows carry an empty leftover target.
			if strings.TrimSpace(tg.Expr) != "" {
				out = append(out, [2]string{tg.Expr, tg.Legend})
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var s string
		if json.Unmarshal(v.Query, &s) != nil {
			var obj struct {
				Query string `json:"query"`
			}
			_ = json.Unmarshal(v.Query, &obj)
			s = obj.Query
		}
		if s != "" {
			out = append(out, [2]string{s, ""})
		}
	}
	return out
}

// TestDashboardMetricsAreExported checks that every metric each shipped
// dashboard (Faucet's three and ours) queries is exported, with every label
// the query matches on, groups by or shows in its legend.
func TestDashboardMetricsAreExported(t *testing.T) {
	have := exported(t)
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]bool{}
	for _, db := range all {
		for _, ql := range queries(t, db.File, db.JSON) {
			expr, legend := ql[0], ql[1]
			q := parseQuery(expr)
			union := map[string]bool{}
			for _, sel := range q.selectors {
				if notExported[sel.metric] {
					continue
				}
				checked[sel.metric] = true
				labels, ok := have[sel.metric]
				if !ok {
					t.Errorf("%s: %q queries %s, which is not exported", db.File, expr, sel.metric)
					continue
				}
				for l := range labels {
					union[l] = true
				}
				for _, l := range sel.labels {
					if !targetLabels[l] && !labels[l] {
						t.Errorf("%s: %q matches label %s, which %s does not have", db.File, expr, l, sel.metric)
					}
				}
			}
			if len(union) == 0 {
				continue
			}
			var used []string
			used = append(used, q.grouping...)
			for _, m := range legendLabel.FindAllStringSubmatch(legend, -1) {
				used = append(used, m[1])
			}
			for _, l := range used {
				if !targetLabels[l] && !union[l] {
					t.Errorf("%s: %q uses label %s (grouping or legend), which none of its metrics has", db.File, expr, l)
				}
			}
		}
	}
	list := make([]string, 0, len(checked))
	for m := range checked {
		list = append(list, m)
	}
	sort.Strings(list)
	t.Logf("%d metrics checked: %s", len(list), strings.Join(list, " "))
	// Guard against a parser that finds nothing: Faucet's dashboards alone
	// query these.
	for _, m := range []string{"of_port_rx_bytes", "port_status", "dp_status", "faucet_config_reload_warm_total",
		"process_cpu_seconds_total", "of_dp_desc_stats", "faucet_pbr_version", "voipsdn_rtcp_jitter_seconds_bucket"} {
		if !checked[m] {
			t.Errorf("no dashboard query names %s: the query parser is broken", m)
		}
	}
}

// lintOurs runs promlint over every voipsdn_ metric (Faucet's names are
// kept as Faucet spells them, lint or not).
func lintOurs(t *testing.T, reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "voipsdn_") {
			ours = append(ours, mf.GetName())
		}
	}
	if len(ours) < 10 {
		t.Fatalf("only %d voipsdn_ metrics exported", len(ours))
	}
	problems, err := testutil.GatherAndLint(reg, ours...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}
