// Command ofload is a cbench-like load generator for OpenFlow 1.3
// controllers. It emulates switches that complete the handshake (hello,
// features, port description, echo, barrier and the multipart requests a
// controller reads at connect) and then send packet-ins from new random
// source MACs, as a learning switch would.
//
// A response is the controller's first flow-mod that matches the packet's
// source MAC (eth_src or eth_dst): it shows the controller learned the
// host. Throughput mode keeps -window packet-ins outstanding per switch and
// reports answered packet-ins per second; latency mode (-window 1) reports
// the round-trip percentiles. Rate mode (-rate N) is open loop: the
// switches send N packet-ins per second between them on a fixed schedule,
// however fast the controller answers, and report the latency percentiles
// at that load.
//
// -write-config writes a matching Faucet configuration and exits:
//
//	ofload -write-config /tmp/ofload.yaml -switches 4
//	voipsdn run --config /tmp/ofload.yaml --of-listen 127.0.0.1:6653 &
//	ofload -controller 127.0.0.1:6653 -switches 4 -window 64 -duration 5s
//	ofload -controller 127.0.0.1:6653 -switches 1 -window 1 -duration 5s
//	ofload -controller 127.0.0.1:6653 -switches 4 -rate 30000 -duration 5s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type params struct {
	controller string
	switches   int
	dpidBase   uint64
	ports      int
	vid        int
	window     int
	rate       float64
	warmup     time.Duration
	duration   time.Duration
	timeout    time.Duration
	config     string
	cpuProfile string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ofload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p params
	fs.StringVar(&p.controller, "controller", "127.0.0.1:6653", "controller address")
	fs.IntVar(&p.switches, "switches", 4, "number of emulated switches")
	fs.Uint64Var(&p.dpidBase, "dpid-base", 1, "datapath ID of the first switch")
	fs.IntVar(&p.ports, "ports", 48, "ports per switch")
	fs.IntVar(&p.vid, "vlan", 100, "VLAN of every port")
	fs.IntVar(&p.window, "window", 64, "outstanding packet-ins per switch (1: latency mode)")
	fs.Float64Var(&p.rate, "rate", 0, "open loop: send this many packet-ins per second in all, spread over the switches, whatever the answers (-window is then ignored)")
	fs.DurationVar(&p.warmup, "warmup", time.Second, "time before measuring")
	fs.DurationVar(&p.duration, "duration", 5*time.Second, "measurement time")
	fs.DurationVar(&p.timeout, "timeout", 100*time.Millisecond, "give up on an unanswered packet-in after this")
	fs.StringVar(&p.config, "write-config", "", "write a matching Faucet configuration to this file and exit")
	fs.StringVar(&p.cpuProfile, "cpuprofile", "", "write ofload's own CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if p.switches < 1 || p.ports < 1 || p.window < 1 || p.rate < 0 || p.vid < 1 || p.vid > 4094 {
		fmt.Fprintln(stderr, "ofload: -switches, -ports and -window must be positive, -rate not negative, -vlan 1..4094")
		return 2
	}
	if p.config != "" {
		if err := os.WriteFile(p.config, []byte(faucetConfig(p)), 0o644); err != nil {
			fmt.Fprintln(stderr, "ofload:", err)
			return 1
		}
		return 0
	}
	if p.cpuProfile != "" {
		f, err := os.Create(p.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "ofload:", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	res, err := load(ctx, p)
	if err != nil {
		fmt.Fprintln(stderr, "ofload:", err)
		return 1
	}
	res.print(stdout, p)
	return 0
}

// faucetConfig is a configuration with the emulated switches: every port
// an access port of one VLAN.
func faucetConfig(p params) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vlans:\n  load:\n    vid: %d\n    max_hosts: 0\ndps:\n", p.vid)
	for i := 0; i < p.switches; i++ {
		fmt.Fprintf(&b, "  ofload%d:\n    dp_id: %d\n    hardware: Open vSwitch\n    interface_ranges:\n", i+1, p.dpidBase+uint64(i))
		fmt.Fprintf(&b, "      1-%d:\n        native_vlan: load\n        max_hosts: 0\n", p.ports)
	}
	return b.String()
}

// result is what the switches measured.
type result struct {
	elapsed                           time.Duration
	sent, answered, flowMods, expired uint64
	lagMax                            time.Duration
	lat                               []time.Duration
}

func load(ctx context.Context, p params) (*result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	emus := make([]*emu, p.switches)
	for i := range emus {
		conn, err := net.Dial("tcp", p.controller)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		e := newEmu(conn, p.dpidBase+uint64(i), p.ports, uint16(p.vid), p.window, p.rate, p.timeout)
		if err := e.write(typeHello, 0, []byte{0, 1, 0, 8, 0, 0, 0, 1 << ofVersion}); err != nil {
			return nil, err
		}
		emus[i] = e
	}
	var wg sync.WaitGroup
	errc := make(chan error, 2*len(emus))
	for _, e := range emus {
		wg.Go(func() {
			if err := e.read(); ctx.Err() == nil {
				errc <- fmt.Errorf("dp %#x: %w", e.dpid, err)
				cancel()
			}
		})
	}
	defer wg.Wait()
	defer cancel()
	for _, e := range emus {
		select {
		case <-e.ready:
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("dp %#x: controller did not finish its handshake (no barrier) in 10s", e.dpid)
		case err := <-errc:
			return nil, err
		}
	}
	if p.rate > 0 {
		wg.Go(func() {
			if err := sendAtRate(ctx, emus, p.rate); err != nil && ctx.Err() == nil {
				errc <- err
				cancel()
			}
		})
	} else {
		for _, e := range emus {
			wg.Go(func() {
				if err := e.send(ctx); err != nil && ctx.Err() == nil {
					errc <- err
					cancel()
				}
			})
		}
	}
	select {
	case <-time.After(p.warmup):
	case <-ctx.Done():
	}
	start := time.Now()
	for _, e := range emus {
		e.measuring.Store(true)
	}
	select {
	case <-time.After(p.duration):
	case <-ctx.Done():
	}
	for _, e := range emus {
		e.measuring.Store(false)
	}
	res := &result{elapsed: time.Since(start)}
	cancel()
	for _, e := range emus {
		_ = e.conn.Close()
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			return nil, err
		}
	default:
	}
	for _, e := range emus {
		res.sent += e.sent.Load()
		res.answered += e.answered.Load()
		res.flowMods += e.flowMods.Load()
		res.expired += e.expired.Load()
		res.lagMax = max(res.lagMax, time.Duration(e.lagMax.Load()))
		e.latMu.Lock()
		res.lat = append(res.lat, e.lat...)
		e.latMu.Unlock()
	}
	return res, nil
}

func (r *result) print(w io.Writer, p params) {
	secs := r.elapsed.Seconds()
	if p.rate > 0 {
		fmt.Fprintf(w, "switches=%d rate=%.0f/s (open loop) duration=%s\n", p.switches, p.rate, r.elapsed.Round(time.Millisecond))
		fmt.Fprintf(w, "sender's longest lag behind schedule: %s\n", r.lagMax)
	} else {
		fmt.Fprintf(w, "switches=%d window=%d duration=%s\n", p.switches, p.window, r.elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "packet-ins sent:     %10.0f/s (%d)\n", float64(r.sent)/secs, r.sent)
	fmt.Fprintf(w, "responses:           %10.0f/s (%d answered packet-ins)\n", float64(r.answered)/secs, r.answered)
	fmt.Fprintf(w, "flow-mods received:  %10.0f/s\n", float64(r.flowMods)/secs)
	fmt.Fprintf(w, "unanswered (>%s):  %d\n", p.timeout, r.expired)
	if len(r.lat) > 0 {
		slices.Sort(r.lat)
		q := func(f float64) time.Duration { return r.lat[min(len(r.lat)-1, int(f*float64(len(r.lat))))] }
		fmt.Fprintf(w, "latency: p50=%s p90=%s p99=%s max=%s\n", q(0.50), q(0.90), q(0.99), r.lat[len(r.lat)-1])
	}
}
