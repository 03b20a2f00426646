package stats

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// connected hands each connected switch to the test.
type connected struct {
	controller.NopHandler
	ch chan *controller.Switch
}

func (c connected) Connected(_ context.Context, sw *controller.Switch) { c.ch <- sw }

// gaugeValue returns the value of name with the given labels, if exported.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			return gaugeOf(m), true
		}
	}
	return 0, false
}

func gaugeOf(m *dto.Metric) float64 { return m.GetGauge().GetValue() }

// TestPollsRealOVS polls a userspace Open vSwitch through the session layer
// while two hosts ping through a metered flow, and checks that port, flow
// and meter counters reach the exported metrics.
func TestPollsRealOVS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Open vSwitch")
	}
	lab := ovslab.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := connected{ch: make(chan *controller.Switch, 1)}
	srv := &controller.Server{Handler: h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); wg.Wait() })

	const dpid = 0xa1
	if _, err := lab.AddBridge("br0", dpid, ovslab.WithController("tcp:"+ln.Addr().String())); err != nil {
		t.Fatal(err)
	}
	var sw *controller.Switch
	select {
	case sw = <-h.ch:
	case <-time.After(30 * time.Second):
		t.Fatal("switch never connected")
	}
	h1, err := lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "br0", OFPort: 1, Addrs: []string{"10.9.0.1/24"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "br0", OFPort: 2, Addrs: []string{"10.9.0.2/24"}}); err != nil {
		t.Fatal(err)
	}
	if out, err := lab.OfctlRaw("add-meter", "br0", "meter=5,kbps,stats,band=type=drop,rate=100000"); err != nil {
		t.Fatalf("add-meter: %v\n%s", err, out)
	}
	if err := lab.AddFlow("br0", "table=0,priority=10,ip,actions=meter:5,normal"); err != nil {
		t.Fatal(err)
	}
	if err := lab.AddFlow("br0", "table=0,priority=1,actions=normal"); err != nil {
		t.Fatal(err)
	}

	p := New(Options{PortInterval: 100 * time.Millisecond, FlowInterval: 100 * time.Millisecond, MeterInterval: 100 * time.Millisecond})
	reg := prometheus.NewRegistry()
	if err := p.Register(reg); err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithCancel(ctx)
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() {
		defer pwg.Done()
		_ = p.Run(pctx, Target{DPID: sw.DPID(), DPName: "sw1", Switch: Session(sw),
			TableName: func(uint8) string { return "vlan" }})
	}()
	t.Cleanup(func() { pcancel(); pwg.Wait() })

	pingCtx, pingCancel := context.WithTimeout(ctx, 60*time.Second)
	defer pingCancel()
	if err := h1.WaitPing(pingCtx, "10.9.0.2"); err != nil {
		t.Fatal(err)
	}
	dp := map[string]string{"dp_id": "0xa1", "dp_name": "sw1"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range dp {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	checks := []struct {
		name   string
		labels map[string]string
	}{
		{"of_port_rx_packets", with(map[string]string{"port": "1", "port_description": "1"})},
		{"of_port_tx_bytes", with(map[string]string{"port": "2"})},
		{"flow_packet_count_vlan", with(map[string]string{"table_id": "0"})},
		{"of_meter_packet_in_count", with(map[string]string{"meter_id": "5"})},
	}
	for _, c := range checks {
		deadline := time.Now().Add(30 * time.Second)
		for {
			v, ok := gaugeValue(t, reg, c.name, c.labels)
			if ok && v > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s%v never above 0 (exported %v, value %v)", c.name, c.labels, ok, v)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if v, ok := gaugeValue(t, reg, "of_port_state", with(map[string]string{"port": "1"})); !ok || int(v)&1 != 0 {
		t.Errorf("of_port_state port 1 = %v (%v), want link up", v, ok)
	}
	if v, ok := gaugeValue(t, reg, "voipsdn_flow_table_entries", with(map[string]string{"table_id": "0"})); !ok || v != 2 {
		t.Errorf("voipsdn_flow_table_entries table 0 = %v (%v), want 2", v, ok)
	}
}
