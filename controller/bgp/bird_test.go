package bgp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// bird is a real BIRD 2 daemon peering with the speaker on loopback.
type bird struct {
	dir string
	cmd *exec.Cmd
}

func requireBird(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("bird")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("bird (Debian bird2) is required in CI: %v", err)
		}
		t.Skip("bird not installed (apt-get install bird2)")
	}
	return path
}

func freePort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startBird(t *testing.T, conf string) *bird {
	t.Helper()
	path := requireBird(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bird.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &bird{dir: dir}
	b.cmd = exec.Command(path, "-f", "-c", filepath.Join(dir, "bird.conf"), "-s", filepath.Join(dir, "bird.ctl"), "-P", filepath.Join(dir, "bird.pid"))
	b.cmd.Stdout, b.cmd.Stderr = io.Discard, io.Discard
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	return b
}

func (b *bird) stop() {
	if b.cmd.Process != nil {
		b.cmd.Process.Kill() //nolint:errcheck
		b.cmd.Wait()         //nolint:errcheck
	}
}

func (b *bird) birdc(args ...string) (string, error) {
	out, err := exec.Command("birdc", append([]string{"-s", filepath.Join(b.dir, "bird.ctl")}, args...)...).CombinedOutput()
	return string(out), err
}

// routeLog collects the speaker's route callbacks.
type routeLog struct {
	mu     sync.Mutex
	routes []Route
}

func (l *routeLog) add(r Route) { l.mu.Lock(); l.routes = append(l.routes, r); l.mu.Unlock() }

// waitFor polls until some callback satisfies ok.
func (l *routeLog) waitFor(t *testing.T, what string, ok func(Route) bool) Route {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		for _, r := range l.routes {
			if ok(r) {
				l.mu.Unlock()
				return r
			}
		}
		l.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; saw %+v", what, l.routes)
	return Route{}
}

func TestSpeakerWithBird(t *testing.T) {
	requireBird(t)
	ourPort, birdPort := freePort(t, "127.0.0.1"), freePort(t, "127.0.0.2")
	conf := fmt.Sprintf(`
router id 10.20.0.2;
protocol device {}
protocol static st4 { ipv4; route 198.51.100.0/24 blackhole; }
protocol bgp voipsdn {
  local 127.0.0.2 port %d as 65001;
  neighbor 127.0.0.1 port %d as 65000;
  multihop;
  connect delay time 1;
  connect retry time 2;
  ipv4 { import all; export all; next hop address 10.20.0.2; };
}
`, birdPort, ourPort)

	log := &routeLog{}
	sp := New(Config{
		Name: "r1", AS: 65000, RouterID: netip.MustParseAddr("10.0.100.254"),
		ListenAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, ListenPort: int32(ourPort),
		Neighbors: []Neighbor{{Addr: netip.MustParseAddr("127.0.0.2"), AS: 65001}},
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), log.add)
	if err := sp.Announce(netip.MustParsePrefix("10.0.100.0/24"), netip.MustParseAddr("10.0.100.254")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sp.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	b := startBird(t, conf)

	want := netip.MustParsePrefix("198.51.100.0/24")
	r := log.waitFor(t, "bird's prefix", func(r Route) bool { return r.Prefix == want && !r.Withdrawn })
	if r.NextHop != netip.MustParseAddr("10.20.0.2") || r.Peer != netip.MustParseAddr("127.0.0.2") {
		t.Fatalf("route from bird: %+v", r)
	}

	// Our announcement reaches bird's table.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := b.birdc("show", "route", "all", "10.0.100.0/24")
		if strings.Contains(out, "10.0.100.0/24") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bird never learned 10.0.100.0/24:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	peers, err := sp.Peers(ctx)
	if err != nil || len(peers) != 1 || !peers[0].Up || peers[0].Routes != 1 {
		t.Fatalf("peers: %+v, %v", peers, err)
	}

	// Withdrawal: bird stops originating the prefix.
	if out, err := b.birdc("disable", "st4"); err != nil {
		t.Fatalf("birdc disable: %v\n%s", err, out)
	}
	log.waitFor(t, "the withdrawal", func(r Route) bool { return r.Prefix == want && r.Withdrawn })

	// Peer loss withdraws what the peer sent. Clear the log before each
	// step, so only events after it count.
	log.mu.Lock()
	log.routes = nil
	log.mu.Unlock()
	if out, err := b.birdc("enable", "st4"); err != nil {
		t.Fatalf("birdc enable: %v\n%s", err, out)
	}
	log.waitFor(t, "the re-announcement", func(r Route) bool { return r.Prefix == want && !r.Withdrawn })
	log.mu.Lock()
	log.routes = nil
	log.mu.Unlock()
	b.stop()
	log.waitFor(t, "the withdrawal on peer loss", func(r Route) bool { return r.Prefix == want && r.Withdrawn })
}
