package callstore

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// discardSwitches accepts every batch and keeps nothing, so that a
// benchmark counts the engine's memory alone.
type discardSwitches struct{ fakeLocator }

func (discardSwitches) Placement(dpid uint64) (qos.Placement, bool) {
	return qos.Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}}, dpid == 1
}
func (discardSwitches) Apply(context.Context, uint64, qos.Batch) error { return nil }
func (discardSwitches) CallFlows(context.Context, uint64) ([]of13.Flow, error) {
	return nil, nil
}

// BenchmarkEngineMemoryPerCall reports the heap the engine holds per
// call with QoS: 10,000 calls of two legs each, every leg's flows and
// meters installed.
func BenchmarkEngineMemoryPerCall(b *testing.B) {
	const calls = 10000
	q := testPolicy(config.PinholeMark)
	q.MaxCalls = calls
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		e := New(q, viaDP(discardSwitches{labLocator()}), &countingObserver{fallbacks: map[qos.Reason]int{}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		settle := func() {
			for {
				ch := make(chan struct{})
				if err := e.do(ctx, func(context.Context) { close(ch) }); err != nil {
					b.Fatal(err)
				}
				<-ch
				if e.Idle() {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
		settle()
		before := heapInuse()
		for i := range calls {
			id := strconv.Itoa(1700000000 + i)
			for j, phone := range []netip.Addr{phoneA, phoneB} {
				leg := qos.Leg{Server: "pbx1", Call: id, ID: id + "." + strconv.Itoa(j), Codec: "ulaw",
					Local:  netip.AddrPortFrom(pbxIP, uint16(10000+2*(i%500))),
					Remote: netip.AddrPortFrom(phone, uint16(20000+2*(i%20000)))}
				if err := e.MediaKnown(ctx, leg, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		}
		settle()
		settle()
		after := heapInuse()
		if n := len(e.calls); n != calls {
			b.Fatalf("%d calls with QoS, want %d", n, calls)
		}
		b.ReportMetric((float64(after)-float64(before))/calls, "heap-B/call")
		cancel()
		<-done
	}
}

// heapInuse returns the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
