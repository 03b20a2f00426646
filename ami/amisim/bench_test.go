package amisim_test

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
)

// BenchmarkCalls measures complete calls (ring, answer, bridge, hangup:
// 21 events each) the simulator generates per second for one client that
// reads and discards.
func BenchmarkCalls(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "u", Secret: "p", RTCPInterval: -1, WriteTimeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	defer func() { cancel(); wg.Wait() }()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	_, _ = nc.Write([]byte("Action: Login\r\nUsername: u\r\nSecret: p\r\n\r\n"))
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, nc) }()
	for sim.Stats().LoginAttempts == 0 {
		time.Sleep(time.Millisecond)
	}
	spec := amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond, Hold: time.Millisecond,
		FromRTP: netip.MustParseAddrPort("10.0.0.1:4000"), ToRTP: netip.MustParseAddrPort("10.0.0.2:4000")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sim.PlaceCall(spec); err != nil {
			b.Fatal(err)
		}
	}
	for sim.Stats().CallsEnded < uint64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	st := sim.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(st.EventsSent)/float64(b.N), "events/call")
}
