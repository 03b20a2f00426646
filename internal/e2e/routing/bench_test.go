package routing

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/internal/app"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

const benchRoutes = 100_000

// BenchmarkBGPRoutesToOVS measures the whole BGP path: bird2 announces
// 100,000 /24s through one next hop on the routed VLAN; the embedded gobgp
// speaker reports them, the router turns them into FIB entries (one owner
// per prefix) and the runtime sends the flow-mods to a real OVS. It reports
// the time from bird's start until OVS holds every FIB flow, and the
// controller's Go heap before and after.
//
//	go test -run XXX -bench BGPRoutesToOVS -benchtime 1x ./internal/e2e/routing/
func BenchmarkBGPRoutesToOVS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchBGP(b)
	}
}

func benchBGP(b *testing.B) {
	ourPort, birdPort := freePortB(b, "127.0.0.1"), freePortB(b, "127.0.0.2")
	cfgText := fmt.Sprintf(`
vlans:
  office: {vid: 100, faucet_vips: ["10.0.1.254/24"]}
routers:
  r1:
    vlans: [office]
    bgp:
      as: 65000
      neighbor_as: 65001
      neighbor_addresses: ["127.0.0.2"]
      server_addresses: ["127.0.0.1"]
      port: %d
      routerid: "10.0.1.254"
      vlan: office
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
`, ourPort)
	cfg, err := config.LoadFileBytes("bench.yaml", []byte(cfgText))
	if err != nil {
		b.Fatal(err)
	}
	prog, err := pipeline.Compile(cfg.DPs[0], nil)
	if err != nil {
		b.Fatal(err)
	}
	fibTable, _ := prog.Tables.ID(pipeline.TableIPv4FIB)

	lab := newLab(b)
	dir := b.TempDir()
	path := filepath.Join(dir, "faucet.yaml")
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.New(app.Options{ConfigPath: path, OFListener: ln, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	if _, err := lab.AddBridge("s1", 1, ovslab.WithController("tcp:"+ln.Addr().String())); err != nil {
		b.Fatal(err)
	}
	peer, err := lab.AddHost(ovslab.HostSpec{Name: "peer", Bridge: "s1", OFPort: 1, Addrs: []string{"10.0.1.50/24"}, Gateway4: "10.0.1.254"})
	if err != nil {
		b.Fatal(err)
	}
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		b.Fatal(err)
	}
	// The next hop is resolved before the routes arrive.
	if err := peer.WaitPing(ctx, "10.0.1.254"); err != nil {
		b.Fatal(err)
	}

	var conf strings.Builder
	fmt.Fprintf(&conf, "router id 10.0.1.50;\nprotocol device {}\nprotocol static st4 { ipv4;\n")
	for i := 0; i < benchRoutes; i++ {
		n := 20<<16 + i // 20.0.0.0/24 onwards
		fmt.Fprintf(&conf, "  route %d.%d.%d.0/24 blackhole;\n", n>>16, n>>8&0xff, n&0xff)
	}
	fmt.Fprintf(&conf, `};
protocol bgp voipsdn {
  local 127.0.0.2 port %d as 65001;
  neighbor 127.0.0.1 port %d as 65000;
  multihop;
  connect delay time 1;
  connect retry time 2;
  ipv4 { import all; export all; next hop address 10.0.1.50; };
}
`, birdPort, ourPort)
	heapBefore := heapInuse()
	b.ResetTimer()
	start := time.Now()
	startBirdB(b, conf.String())
	count := regexp.MustCompile(`flow_count=(\d+)`)
	for {
		out, err := lab.OfctlRaw("dump-aggregate", "s1", "table="+strconv.Itoa(int(fibTable)))
		if err == nil {
			if m := count.FindStringSubmatch(out); m != nil {
				if n, _ := strconv.Atoi(m[1]); n >= benchRoutes {
					break
				}
			}
		}
		if ctx.Err() != nil {
			b.Fatalf("not converged: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	b.StopTimer()
	heapAfter := heapInuse()
	if path := os.Getenv("VOIPSDN_BENCH_HEAPPROFILE"); path != "" {
		// The controller's heap while it holds every route, for pprof.
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	b.ReportMetric(took.Seconds(), "s-to-converge")
	b.ReportMetric(float64(heapAfter)/(1<<20), "MiB-heap-after")
	b.ReportMetric(float64(heapAfter-heapBefore)/benchRoutes, "B-heap/route")
	b.Logf("%d routes on OVS in %v; controller heap %d MiB -> %d MiB", benchRoutes, took.Round(time.Millisecond), heapBefore>>20, heapAfter>>20)
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func freePortB(b *testing.B, host string) int {
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
