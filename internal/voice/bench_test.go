package voice

import (
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/faucet/config"
)

// The QoS benchmarks run the controller in-process against a real Open
// vSwitch, with the AMI simulator placing calls. They measure, not assert.
//
//	go test -run '^$' -bench QoS -benchtime 1x ./internal/voice
//
// VOIPSDN_BENCH_HEAPPROFILE=FILE writes a heap profile of the 10,000-call
// state.

// BenchmarkQoS500CallsPerSecond places 500 calls/s for 10 s (each held
// 1 s, so about 500 are up at once) and reports the time from "media
// known" to the switch's barrier for every leg.
func BenchmarkQoS500CallsPerSecond(b *testing.B) {
	var mu sync.Mutex
	var lat []time.Duration
	e := newE2E(b, config.PinholeMark, func(e *e2e) {
		e.latency = func(d time.Duration) { mu.Lock(); lat = append(lat, d); mu.Unlock() }
	})
	b.ResetTimer()
	const rate, seconds = 500, 10
	start := time.Now()
	for i := 0; i < rate*seconds; i++ {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d)
		}
		port := uint16(20000 + 2*(i%10000))
		if _, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: 20 * time.Millisecond, Hold: time.Second,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)}); err != nil {
			b.Fatal(err)
		}
	}
	for len(e.sim.ActiveCalls()) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	e.waitFlows(0, 60*time.Second)
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no installs measured")
	}
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(float64(len(lat)), "legs")
	b.ReportMetric(pct(0.50), "ms-p50")
	b.ReportMetric(pct(0.99), "ms-p99")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "ms-max")
}

// BenchmarkQoS10kConcurrentCalls brings 10,000 calls up at once and
// reports the per-call flows in the switch and the heap the controller
// (with the simulator, in the same process) holds per call.
func BenchmarkQoS10kConcurrentCalls(b *testing.B) {
	e := newE2E(b, config.PinholeMark)
	const calls = 10000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	b.ResetTimer()
	for i := 0; i < calls; i++ {
		port := uint16(20000 + 2*i)
		if _, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: 20 * time.Millisecond, Hold: time.Hour,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)}); err != nil {
			b.Fatal(err)
		}
		if i%500 == 499 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Two legs, two directions, RTP and RTCP: 8 flows per call.
	flows := e.waitFlows(8*calls, 5*time.Minute)
	b.StopTimer()
	after := heap()
	if path := os.Getenv("VOIPSDN_BENCH_HEAPPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f) //nolint:errcheck // diagnostics only
			f.Close()
		}
	}
	b.ReportMetric(float64(len(flows)), "flows")
	b.ReportMetric(float64(after-before)/calls, "heap-B/call")
}
