package metrics_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/voipsdn/voipsdn/controller/metrics"
	"github.com/voipsdn/voipsdn/controller/stats"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
)

const (
	benchCalls = 10000
	benchPorts = 48
	// Per call: RTP and RTCP in both directions; one meter per direction.
	flowsPerCall  = 4
	metersPerCall = 2
	callMeterBase = 1 << 20
)

// bigSwitch is a 48-port switch carrying 10,000 calls' flows and meters.
type bigSwitch struct{}

func (bigSwitch) PortStats(context.Context) ([]stats.PortStats, error) {
	out := make([]stats.PortStats, 0, benchPorts+1)
	for p := uint32(1); p <= benchPorts; p++ {
		out = append(out, stats.PortStats{Port: p, RxPackets: 1e6, TxPackets: 1e6, RxBytes: 1e9, TxBytes: 1e9})
	}
	return append(out, stats.PortStats{Port: 0xfffffffe}), nil
}

func (bigSwitch) PortDesc(context.Context) ([]stats.PortDesc, error) {
	out := make([]stats.PortDesc, 0, benchPorts)
	for p := uint32(1); p <= benchPorts; p++ {
		out = append(out, stats.PortDesc{Port: p, State: 4, CurrSpeed: 1e6, MaxSpeed: 1e6})
	}
	return out, nil
}

func (bigSwitch) FlowStats(context.Context) ([]stats.FlowStats, error) {
	out := make([]stats.FlowStats, 0, benchCalls*flowsPerCall+300)
	for i := range 300 {
		out = append(out, stats.FlowStats{TableID: uint8(i % 10), PacketCount: 10, ByteCount: 1000})
	}
	for range benchCalls * flowsPerCall {
		out = append(out, stats.FlowStats{TableID: 2, PacketCount: 500, ByteCount: 100000})
	}
	return out, nil
}

func (bigSwitch) MeterStats(context.Context) ([]stats.MeterStats, error) {
	out := []stats.MeterStats{{MeterID: 1, FlowCount: 3}, {MeterID: 2, FlowCount: 1}}
	for i := range benchCalls * metersPerCall {
		out = append(out, stats.MeterStats{MeterID: callMeterBase + uint32(i), FlowCount: 2, PacketInCount: 500, ByteInCount: 1e5})
	}
	return out, nil
}

// benchRegistry builds every voipsdn collector over fakes for one 48-port
// DP with 10,000 active calls: 96 learned hosts (a phone and a PC per port),
// 40,300 flows and 20,002 meters in the stats cache.
func benchRegistry(b *testing.B) (*prometheus.Registry, func()) {
	reg := prometheus.NewRegistry()
	dp := metrics.DP{ID: 1, Name: "sw1", Connected: true, Desc: &metrics.DescStats{Manufacturer: "Nicira, Inc."},
		VLANs: []metrics.VLAN{{VID: 100, HostsLearned: benchPorts}, {VID: 200, HostsLearned: benchPorts}}}
	for p := uint32(1); p <= benchPorts; p++ {
		dp.Ports = append(dp.Ports, metrics.Port{Number: p, Name: fmt.Sprintf("port%d", p), Up: true})
	}
	for i := range 10 {
		dp.Tables = append(dp.Tables, metrics.Table{ID: uint8(i), Name: fmt.Sprintf("table%d", i)})
	}
	dp.EachHost = func(fn func(metrics.Host)) {
		for p := uint32(1); p <= benchPorts; p++ {
			fn(metrics.Host{Port: p, VID: 100, MAC: net.HardwareAddr{0x0e, 0, 0, 0, 1, byte(p)}})
			fn(metrics.Host{Port: p, VID: 200, MAC: net.HardwareAddr{0x0e, 0, 0, 0, 2, byte(p)}})
		}
	}
	c, err := metrics.Register(reg, metrics.Options{DPs: metrics.StaticDPs{dp}, Config: metrics.StaticConfig{HashFunc: "sha256"}})
	if err != nil {
		b.Fatal(err)
	}
	c.DP(1, "sw1").PacketIns.Add(12345)
	vm, err := voicemetrics.New(reg, voicemetrics.Options{Servers: []string{"pbx1", "pbx2"},
		FallbackReasons: []string{"location_unknown", "out_of_scope", "no_media", "over_capacity",
			"meter_table_full", "table_full", "flowmod_error", "switch_down"}})
	if err != nil {
		b.Fatal(err)
	}
	vm.SetCallsActive(benchCalls)
	vm.SetCallsWithQoS(benchCalls - 10)
	vm.SetMediaFlowsInstalled(benchCalls * flowsPerCall)
	for i := range benchCalls {
		vm.ObserveInstallLatency(time.Duration(i%50) * time.Millisecond)
		vm.ObserveRTCP(time.Duration(i%30)*time.Millisecond, float64(i%7)/100, time.Duration(i%400)*time.Millisecond)
		vm.AMIEvent("pbx1", []string{"Newchannel", "Newstate", "Hangup", "VarSet", "RTCPSent", "RTCPReceived"}[i%6])
	}

	p := stats.New(stats.Options{PortInterval: time.Hour, FlowInterval: time.Hour, MeterInterval: time.Hour})
	if err := p.Register(reg); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = p.Run(ctx, stats.Target{DPID: 1, DPName: "sw1", Switch: bigSwitch{},
			CallMeter: func(id uint32) bool { return id >= callMeterBase }})
	}()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		mfs, _ := reg.Gather()
		n := 0
		for _, mf := range mfs {
			if mf.GetName() == "voipsdn_stats_poll_success" {
				n = len(mf.GetMetric())
			}
		}
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("stats never polled")
		}
	}
	return reg, func() { cancel(); wg.Wait() }
}

// BenchmarkScrape10kCalls48Ports measures one full /metrics scrape (gather
// and text encoding, as Prometheus requests it) and reports the series count.
func BenchmarkScrape10kCalls48Ports(b *testing.B) {
	reg, stop := benchRegistry(b)
	defer stop()
	h := metrics.Handler(reg, slog.New(slog.DiscardHandler))
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	var body []byte
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		body = rec.Body.Bytes()
	}
	b.StopTimer()
	b.ReportMetric(float64(countSeries(body)), "series")
	b.ReportMetric(float64(len(body)), "bytes/scrape")
}

// countSeries counts the sample lines of a text exposition.
func countSeries(body []byte) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 && line[0] != '#' {
			n++
		}
	}
	return n
}
