package stats

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeSwitch answers stats requests from fixed data and counts them.
type fakeSwitch struct {
	calls [4]atomic.Int64 // port, desc, flow, meter
	fail  atomic.Bool
	ports []PortStats
}

var errDown = errors.New("switch down")

func (f *fakeSwitch) PortStats(context.Context) ([]PortStats, error) {
	f.calls[0].Add(1)
	if f.fail.Load() {
		return nil, errDown
	}
	return f.ports, nil
}

func (f *fakeSwitch) PortDesc(context.Context) ([]PortDesc, error) {
	f.calls[1].Add(1)
	return []PortDesc{{Port: 1, State: 4, CurrSpeed: 10000000, MaxSpeed: 10000000}}, nil
}

func (f *fakeSwitch) FlowStats(context.Context) ([]FlowStats, error) {
	f.calls[2].Add(1)
	return []FlowStats{
		{TableID: 0, PacketCount: 5, ByteCount: 500},
		{TableID: 0, PacketCount: 1, ByteCount: 100},
		{TableID: 3, PacketCount: Unsupported, ByteCount: 7},
	}, nil
}

func (f *fakeSwitch) MeterStats(context.Context) ([]MeterStats, error) {
	f.calls[3].Add(1)
	return []MeterStats{{MeterID: 2, FlowCount: 4, PacketInCount: 10, ByteInCount: 1000, PacketBandCount: 3, ByteBandCount: 300}}, nil
}

func (f *fakeSwitch) total() int64 {
	var n int64
	for i := range f.calls {
		n += f.calls[i].Load()
	}
	return n
}

func newFake() *fakeSwitch {
	return &fakeSwitch{ports: []PortStats{{
		Port: 1, RxPackets: 10, TxPackets: 20, RxBytes: 1000, TxBytes: 2000,
		RxDropped: 1, TxDropped: 2, RxErrors: Unsupported, TxErrors: 0,
	}}}
}

func target(sw Switch) Target {
	return Target{
		DPID: 1, DPName: "sw1", Switch: sw,
		PortLabels: func(p uint32) (string, string) {
			if p == 1 {
				return "phone1", "desk phone"
			}
			return "", ""
		},
		TableName: func(id uint8) string {
			if id == 0 {
				return "vlan"
			}
			return ""
		},
	}
}

// waitFor polls cond; it fails the test only if the test's own deadline
// would be hit, so it is not a timed assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never happened: %s", what)
}

func start(t *testing.T, p *Poller, tg Target) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = p.Run(ctx, tg)
	}()
	stop = func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return stop
}

// allPolled reports whether every cached switch has finished a poll of
// every kind (and at least one switch is cached).
func allPolled(p *Poller) bool {
	entries := p.snapshot()
	for _, e := range entries {
		for k := kind(0); k < numKinds; k++ {
			if !e.health[k].polled {
				return false
			}
		}
	}
	return len(entries) > 0
}

func TestExportsGaugeNames(t *testing.T) {
	p := New(Options{PortInterval: time.Hour, FlowInterval: time.Hour, MeterInterval: time.Hour})
	reg := prometheus.NewPedanticRegistry()
	if err := p.Register(reg); err != nil {
		t.Fatal(err)
	}
	start(t, p, target(newFake()))
	waitFor(t, "first poll of every kind", func() bool { return allPolled(p) })
	p.PortStatus(1, 2, PortDesc{Port: 1, State: 1})

	want := `
# HELP of_port_rx_bytes Bytes received on the port.
# TYPE of_port_rx_bytes gauge
of_port_rx_bytes{dp_id="0x1",dp_name="sw1",port="phone1",port_description="desk phone"} 1000
# HELP of_port_tx_errors Send errors.
# TYPE of_port_tx_errors gauge
of_port_tx_errors{dp_id="0x1",dp_name="sw1",port="phone1",port_description="desk phone"} 0
# HELP of_port_state Port state bits (OFPPS_LINK_DOWN 1, BLOCKED 2, LIVE 4).
# TYPE of_port_state gauge
of_port_state{dp_id="0x1",dp_name="sw1",port="phone1",port_description="desk phone"} 1
# HELP of_port_reason Reason of the last port status message (OFPPR_ADD 0, DELETE 1, MODIFY 2).
# TYPE of_port_reason gauge
of_port_reason{dp_id="0x1",dp_name="sw1",port="phone1",port_description="desk phone"} 2
# HELP of_meter_byte_band_count Bytes handled by the meter's first band.
# TYPE of_meter_byte_band_count gauge
of_meter_byte_band_count{dp_id="0x1",dp_name="sw1",meter_id="2"} 300
# HELP flow_packet_count_vlan Sum over the table's flows (Gauge's flow table metric, without per-flow match labels).
# TYPE flow_packet_count_vlan gauge
flow_packet_count_vlan{dp_id="0x1",dp_name="sw1",table_id="0"} 6
# HELP flow_byte_count_table3 Sum over the table's flows (Gauge's flow table metric, without per-flow match labels).
# TYPE flow_byte_count_table3 gauge
flow_byte_count_table3{dp_id="0x1",dp_name="sw1",table_id="3"} 7
# HELP voipsdn_flow_table_entries Flows in an OpenFlow table at the last flow stats poll.
# TYPE voipsdn_flow_table_entries gauge
voipsdn_flow_table_entries{dp_id="0x1",dp_name="sw1",table_id="0",table_name="vlan"} 2
voipsdn_flow_table_entries{dp_id="0x1",dp_name="sw1",table_id="3",table_name="table3"} 1
# HELP voipsdn_stats_poll_success Whether the last statistics poll of this kind succeeded (1) or failed (0).
# TYPE voipsdn_stats_poll_success gauge
voipsdn_stats_poll_success{dp_id="0x1",dp_name="sw1",kind="flow"} 1
voipsdn_stats_poll_success{dp_id="0x1",dp_name="sw1",kind="meter"} 1
voipsdn_stats_poll_success{dp_id="0x1",dp_name="sw1",kind="port"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"of_port_rx_bytes", "of_port_tx_errors", "of_port_state", "of_port_reason", "of_meter_byte_band_count",
		"flow_packet_count_vlan", "flow_byte_count_table3", "voipsdn_flow_table_entries", "voipsdn_stats_poll_success"); err != nil {
		t.Fatal(err)
	}
	// A counter the switch does not keep is not exported.
	if n, _ := testutil.GatherAndCount(reg, "of_port_rx_errors"); n != 0 {
		t.Errorf("of_port_rx_errors exported for an unsupported counter")
	}
	problems, err := testutil.GatherAndLint(reg, "voipsdn_flow_table_entries", "voipsdn_stats_poll_success", "voipsdn_stats_poll_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("lint %s: %s", pr.Metric, pr.Text)
	}
}

func TestScrapesNeverReachTheSwitch(t *testing.T) {
	p := New(Options{PortInterval: time.Hour, FlowInterval: time.Hour, MeterInterval: time.Hour})
	reg := prometheus.NewRegistry()
	if err := p.Register(reg); err != nil {
		t.Fatal(err)
	}
	sw := newFake()
	start(t, p, target(sw))
	waitFor(t, "first poll", func() bool { return allPolled(p) })
	before := sw.total()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if after := sw.total(); after != before {
		t.Fatalf("32 scrapes made %d switch requests, want 0", after-before)
	}
	if before != 4 {
		t.Fatalf("first poll made %d requests, want 4 (port, desc, flow, meter)", before)
	}
}

func TestPollsRepeatAndFailureKeepsValues(t *testing.T) {
	p := New(Options{PortInterval: time.Millisecond, FlowInterval: time.Hour, MeterInterval: time.Hour})
	reg := prometheus.NewRegistry()
	if err := p.Register(reg); err != nil {
		t.Fatal(err)
	}
	sw := newFake()
	start(t, p, target(sw))
	waitFor(t, "three port polls", func() bool { return sw.calls[0].Load() >= 3 })
	if sw.calls[2].Load() != 1 {
		t.Fatalf("flow stats polled %d times with an hour's interval, want 1", sw.calls[2].Load())
	}
	sw.fail.Store(true)
	waitFor(t, "a failed poll recorded", func() bool {
		e := p.snapshot()
		return len(e) == 1 && !e[0].health[kindPort].ok
	})
	n, err := testutil.GatherAndCount(reg, "of_port_rx_bytes")
	if err != nil || n != 1 {
		t.Fatalf("of_port_rx_bytes after a failed poll: %d series, %v; want the last good value", n, err)
	}
}

func TestRunEndForgetsSwitch(t *testing.T) {
	p := New(Options{})
	reg := prometheus.NewRegistry()
	if err := p.Register(reg); err != nil {
		t.Fatal(err)
	}
	stop := start(t, p, target(newFake()))
	waitFor(t, "first poll", func() bool { return allPolled(p) })
	stop()
	if n, _ := testutil.GatherAndCount(reg); n != 0 {
		t.Fatalf("%d series after the switch went away, want 0", n)
	}
}

func TestReconnectOwnsEntry(t *testing.T) {
	p := New(Options{PortInterval: time.Hour, FlowInterval: time.Hour, MeterInterval: time.Hour})
	old, cur := newFake(), newFake()
	cur.ports = []PortStats{{Port: 1, RxBytes: 42}}
	stopOld := start(t, p, target(old))
	waitFor(t, "old session polled", func() bool { return allPolled(p) })
	start(t, p, target(cur))
	waitFor(t, "new session polled", func() bool {
		e := p.snapshot()[0]
		return e.run.target.Switch == Switch(cur) && e.health[kindPort].polled
	})
	stopOld() // the old session ending must not remove the new one's results
	e := p.snapshot()
	if len(e) != 1 || len(e[0].ports) != 1 || e[0].ports[0].RxBytes != 42 {
		t.Fatalf("after the old session ended the cache holds %+v", e)
	}
}
