package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// bench runs a generated load through the simulator into voipsdn's own
// client and tracker on loopback, then reports what arrived, what was
// dropped and how long the socket reader ever stalled.
func bench(ctx context.Context, o options, out io.Writer, log *slog.Logger) int {
	if o.load.Rate <= 0 {
		o.load.Rate = 500
	}
	if o.load.Duration <= 0 {
		o.load.Duration = 60 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(out, "amisim: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithCancel(ctx)
	sim := amisim.New(amisim.Options{Username: "bench", Secret: "bench", RTCPInterval: o.rtcp, Logger: log})
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()

	var started, ended, media, quality atomic.Int64
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{
		Name: "bench", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Username: "bench", Secret: ami.NewSecret("bench"),
	}, func(d ami.Delivery) { drv.Handle(d) }, ami.WithLogger(log))
	if err != nil {
		fmt.Fprintf(out, "amisim: %v\n", err)
		return 1
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: tracker.Options{Server: "bench"}, Logger: log},
		func(ev tracker.Event) {
			switch e := ev.(type) {
			case tracker.CallStarted:
				started.Add(1)
			case tracker.CallEnded:
				ended.Add(1)
			case tracker.MediaKnown:
				if e.Source == tracker.SourceGetvar && e.Codec != "" {
					media.Add(1)
				}
			case tracker.QualityReport:
				quality.Add(1)
			}
		})
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = drv.Run(ctx) }()
	for !client.Stats().Connected {
		select {
		case <-ctx.Done():
			return 1
		case <-time.After(10 * time.Millisecond):
		}
	}

	begin := time.Now()
	placed, err := sim.RunLoad(ctx, o.load)
	if err != nil {
		fmt.Fprintf(out, "amisim: load: %v\n", err)
		return 1
	}
	// Let every call finish and the tracker catch up.
	deadline := time.Now().Add(o.load.Hold + o.load.AnswerAfter + 30*time.Second)
	for ended.Load() < int64(placed) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(begin)
	cs, ss := client.Stats(), sim.Stats()
	fmt.Fprintf(out, "load: %.0f calls/s for %v, hold %v, rtcp %v\n", o.load.Rate, o.load.Duration, o.load.Hold, o.rtcp)
	fmt.Fprintf(out, "calls placed %d, started %d, ended %d, legs with media+codec %d (want %d), quality reports %d\n",
		placed, started.Load(), ended.Load(), media.Load(), 2*placed, quality.Load())
	fmt.Fprintf(out, "events sent by simulator %d, received %d, delivered %d, dropped %d\n",
		ss.EventsSent, cs.EventsReceived, cs.EventsDelivered, cs.EventsDropped)
	fmt.Fprintf(out, "client reader longest stall %v; simulator longest socket write %v; clients dropped for slowness %d\n",
		cs.MaxReaderStall, ss.MaxWriteBlock, ss.Dropped)
	fmt.Fprintf(out, "client queue high-water mark %d; reconnects %d; elapsed %v; %.0f events/s\n",
		cs.QueueMax, cs.Connects-1, elapsed.Round(time.Millisecond), float64(cs.EventsReceived)/elapsed.Seconds())
	if cs.EventsDropped != 0 || ss.Dropped != 0 || ended.Load() != int64(placed) || media.Load() != 2*int64(placed) {
		fmt.Fprintln(out, "RESULT: FAIL")
		return 1
	}
	fmt.Fprintln(out, "RESULT: OK")
	return 0
}
