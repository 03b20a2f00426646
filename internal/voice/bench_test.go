package voice

import (
	"net/netip"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

// The QoS benchmarks run the controller in-process against a real Open
// vSwitch, with the AMI simulator placing calls. They measure, not assert.
//
//	go test -run '^$' -bench QoS -benchtime 1x ./internal/voice
//
// VOIPSDN_BENCH_HEAPPROFILE=FILE writes a heap profile of the 10,000-call
// state to FILE and of the 6,000-call one to FILE.mid (compare them with
// go tool pprof -diff_base FILE.mid FILE).

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
// holds per call. The simulator runs in a child process and the test
// keeps no per-call records, so only the controller's memory is counted.
//
//   - heap-B/call: HeapInuse after a GC with the 10,000 calls up, less the
//     same before them, over 10,000.
//   - live-B/call: the same with HeapAlloc, the bytes of live objects
//     alone; the difference is the free room in the spans those objects
//     keep in use (objects of one size class share spans, and a span
//     stays in use while any of its objects lives).
//   - marginal-B/call: the growth from 6,000 to 10,000 calls, over 4,000:
//     what each further call costs once the controller's bounded buffers
//     (the session's remembered messages, the send chunks), which 6,000
//     calls' flow-mods already fill, are full.
func BenchmarkQoS10kConcurrentCalls(b *testing.B) {
	e := newE2E(b, config.PinholeMark, func(e *e2e) { e.heapOnly = true })
	const calls, mid = 10000, 6000
	place := func(from, to int) {
		for i := from; i < to; i++ {
			port := uint16(20000 + 2*i)
			if _, err := e.simProc.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: 20 * time.Millisecond, Hold: time.Hour,
				FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
				ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)}); err != nil {
				b.Fatal(err)
			}
			if i%500 == 499 {
				time.Sleep(100 * time.Millisecond)
			}
		}
		// Two legs, two directions, RTP and RTCP: 8 flows per call.
		e.waitFlowCount(8*to, 5*time.Minute)
		// Let the last calls' direct media checks (500 ms after their
		// bridge) go out and be answered: the heap is measured with the
		// calls up, not while they are still being set up.
		time.Sleep(time.Second)
	}
	before := heapAfterGC()
	b.ResetTimer()
	place(0, mid)
	b.StopTimer()
	atMid := heapInuse()
	writeHeapProfile(".mid")
	b.StartTimer()
	place(mid, calls)
	b.StopTimer()
	after := heapAfterGC()
	writeHeapProfile("")
	b.ReportMetric(float64(e.callFlowCount()), "flows")
	b.ReportMetric((float64(after.HeapInuse)-float64(before.HeapInuse))/calls, "heap-B/call")
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/calls, "live-B/call")
	b.ReportMetric((float64(after.HeapInuse)-float64(atMid))/(calls-mid), "marginal-B/call")
}

// callFlowCount returns the number of per-call flows on sw1. It asks OVS
// for the count, not the flows, so that the heap benchmark's process does
// not parse 80,000 flows a poll: that garbage, in the size classes of the
// controller's records, would leave its spans part-used and show as
// controller heap.
func (e *e2e) callFlowCount() int {
	e.t.Helper()
	filter := "cookie=0x" + strconv.FormatUint(qos.CookieCategory, 16) + "/0x" + strconv.FormatUint(qos.CookieCategoryMask, 16)
	out, err := e.lab.OfctlRaw("dump-aggregate", "sw1", filter)
	if err != nil {
		e.t.Fatal(err)
	}
	m := flowCount.FindStringSubmatch(out)
	if m == nil {
		e.t.Fatalf("no flow_count in %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var flowCount = regexp.MustCompile(`flow_count=(\d+)`)

// waitFlowCount polls until the number of per-call flows is want.
func (e *e2e) waitFlowCount(want int, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		n := e.callFlowCount()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("want %d per-call flows on sw1, have %d", want, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeHeapProfile writes a heap profile to $VOIPSDN_BENCH_HEAPPROFILE
// plus suffix, if that is set.
func writeHeapProfile(suffix string) {
	if path := os.Getenv("VOIPSDN_BENCH_HEAPPROFILE"); path != "" {
		if f, err := os.Create(path + suffix); err == nil {
			pprof.WriteHeapProfile(f) //nolint:errcheck // diagnostics only
			f.Close()
		}
	}
}

// heapInuse returns the heap in use after a full collection.
func heapInuse() uint64 { return heapAfterGC().HeapInuse }

// heapAfterGC returns the memory statistics after a full collection.
func heapAfterGC() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
