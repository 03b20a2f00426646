package dp

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/voipsdn/voipsdn/controller/metrics"
	"github.com/voipsdn/voipsdn/faucet/stack"
)

// metricsSource is the Manager as internal/app registers it.
type metricsSource struct{ m *Manager }

func (s metricsSource) EachDP(fn func(*metrics.DP)) { s.m.EachMetricsDP(fn) }
func (s metricsSource) StackState() metrics.StackState {
	return s.m.MetricsStack()
}

// A stack of 3 (ring3.yaml, fake switches wired by their beacons) exports
// Faucet's stack metrics: the root, each DP's port towards it, each stack
// port's state and changes, the beacons heard; after a link goes silent
// its ends are GONE (4) and s3 reaches the root through s2.
func TestStackMetricsShowRootAndPortStates(t *testing.T) {
	b, err := os.ReadFile("../../faucet/stack/testdata/ring3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustConfig(t, string(b))
	clk := newFakeClock()
	m := startManager(t, cfg, Options{Clock: clk})
	ctx := context.Background()
	sws := map[string]*fakeSwitch{}
	for _, d := range cfg.DPs {
		sws[d.Name] = newFakeSwitch(d.ID)
		m.SwitchConnected(ctx, sws[d.Name])
	}
	round := func(cut map[stack.End]bool) {
		clk.Advance(time.Second)
		for _, d := range cfg.DPs {
			m.syncDP(t, d.ID)
		}
		wire(t, m, cfg, sws, cut)
	}
	reg := prometheus.NewPedanticRegistry()
	src := metricsSource{m}
	if _, err := metrics.Register(reg, metrics.Options{DPs: src, Config: metrics.StaticConfig{}, Stack: src, NoRuntime: true}); err != nil {
		t.Fatal(err)
	}
	names := []string{"faucet_stack_root_dpid", "stack_root_change_count_total", "is_dp_stack_root",
		"dp_root_hop_port", "port_stack_state", "port_stack_state_change_count_total"}

	for range 3 {
		round(nil)
	}
	// Every stack port went NONE -> INIT -> UP: 2 changes.
	want := `
# HELP faucet_stack_root_dpid set to current stack root DPID
# TYPE faucet_stack_root_dpid gauge
faucet_stack_root_dpid 1
# HELP stack_root_change_count_total number of changes in stack root
# TYPE stack_root_change_count_total counter
stack_root_change_count_total 1
# HELP is_dp_stack_root bool indicating if dp is stack root
# TYPE is_dp_stack_root gauge
is_dp_stack_root{dp_id="0x1",dp_name="s1"} 1
is_dp_stack_root{dp_id="0x2",dp_name="s2"} 0
is_dp_stack_root{dp_id="0x3",dp_name="s3"} 0
# HELP dp_root_hop_port port that leads to stack root DP
# TYPE dp_root_hop_port gauge
dp_root_hop_port{dp_id="0x1",dp_name="s1"} 0
dp_root_hop_port{dp_id="0x2",dp_name="s2"} 3
dp_root_hop_port{dp_id="0x3",dp_name="s3"} 2
# HELP port_stack_state state of stacking on a port
# TYPE port_stack_state gauge
port_stack_state{dp_id="0x1",dp_name="s1",port="2",port_description="2"} 3
port_stack_state{dp_id="0x1",dp_name="s1",port="3",port_description="3"} 3
port_stack_state{dp_id="0x2",dp_name="s2",port="2",port_description="2"} 3
port_stack_state{dp_id="0x2",dp_name="s2",port="3",port_description="3"} 3
port_stack_state{dp_id="0x3",dp_name="s3",port="2",port_description="2"} 3
port_stack_state{dp_id="0x3",dp_name="s3",port="3",port_description="3"} 3
# HELP port_stack_state_change_count_total number of changes in port stack state
# TYPE port_stack_state_change_count_total counter
port_stack_state_change_count_total{dp_id="0x1",dp_name="s1",port="2",port_description="2"} 2
port_stack_state_change_count_total{dp_id="0x1",dp_name="s1",port="3",port_description="3"} 2
port_stack_state_change_count_total{dp_id="0x2",dp_name="s2",port="2",port_description="2"} 2
port_stack_state_change_count_total{dp_id="0x2",dp_name="s2",port="3",port_description="3"} 2
port_stack_state_change_count_total{dp_id="0x3",dp_name="s3",port="2",port_description="2"} 2
port_stack_state_change_count_total{dp_id="0x3",dp_name="s3",port="3",port_description="3"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	value := func(name, dp string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, mt := range mf.GetMetric() {
				for _, l := range mt.GetLabel() {
					if l.GetName() == "dp_name" && l.GetValue() == dp {
						return mt.GetCounter().GetValue()
					}
				}
			}
		}
		t.Fatalf("no %s for %s", name, dp)
		return 0
	}
	if n := value("stack_probes_received_total", "s2"); n < 2 {
		t.Fatalf("s2 heard %v stack probes, want at least one per stack port", n)
	}

	// s1:3-s3:2 goes silent: both ends GONE, s3 goes round through s2.
	cut := map[stack.End]bool{{DP: "s1", Port: 3}: true, {DP: "s3", Port: 2}: true}
	for range 3 {
		round(cut)
	}
	want = `
# HELP dp_root_hop_port port that leads to stack root DP
# TYPE dp_root_hop_port gauge
dp_root_hop_port{dp_id="0x1",dp_name="s1"} 0
dp_root_hop_port{dp_id="0x2",dp_name="s2"} 3
dp_root_hop_port{dp_id="0x3",dp_name="s3"} 3
# HELP port_stack_state state of stacking on a port
# TYPE port_stack_state gauge
port_stack_state{dp_id="0x1",dp_name="s1",port="2",port_description="2"} 3
port_stack_state{dp_id="0x1",dp_name="s1",port="3",port_description="3"} 4
port_stack_state{dp_id="0x2",dp_name="s2",port="2",port_description="2"} 3
port_stack_state{dp_id="0x2",dp_name="s2",port="3",port_description="3"} 3
port_stack_state{dp_id="0x3",dp_name="s3",port="2",port_description="2"} 4
port_stack_state{dp_id="0x3",dp_name="s3",port="3",port_description="3"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "dp_root_hop_port", "port_stack_state"); err != nil {
		t.Fatal(err)
	}

	// A beacon naming the wrong peer is a cabling error on the DP that
	// heard it.
	if n := value("stack_cabling_errors_total", "s2"); n != 0 {
		t.Fatalf("s2 counted %v cabling errors on a correct ring", n)
	}
	m.stack.heard(clk.Now(), stack.End{DP: "s2", Port: 2}, 9, "nowhere", 7)
	if n := value("stack_cabling_errors_total", "s2"); n != 1 {
		t.Fatalf("s2 counted %v cabling errors after a wrong beacon, want 1", n)
	}
}
