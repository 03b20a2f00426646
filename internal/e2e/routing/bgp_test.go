package routing

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// bird is a real BIRD 2 daemon. It runs in the root namespace next to the
// in-process controller and peers with its speaker over loopback; the
// routes it exports carry a next hop on the routed VLAN (gobgp rejects
// loopback next hops), the address of the "peer" namespace host that
// owns the announced prefix.
type bird struct {
	dir string
	cmd *exec.Cmd
}

func startBird(t testing.TB, conf string) *bird {
	t.Helper()
	path, err := exec.LookPath("bird")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("bird (Debian bird2) is required in CI: %v", err)
		}
		t.Skip("bird not installed (apt-get install bird2)")
	}
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
	t.Cleanup(func() {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
	})
	return b
}

func (b *bird) birdc(args ...string) (string, error) {
	out, err := exec.Command("birdc", append([]string{"-s", filepath.Join(b.dir, "bird.ctl")}, args...)...).CombinedOutput()
	return string(out), err
}

func startBirdB(b *testing.B, conf string) *bird { return startBird(b, conf) }

func freePort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// poll retries f every 200ms until it returns nil or ctx ends.
func poll(ctx context.Context, t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	for ctx.Err() == nil {
		if err = f(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s: %v", what, err)
}

// A bird2 peer announces a prefix: the FIB flow appears once the next hop
// resolves and traffic to the prefix reaches the peer's host; voipsdn's
// connected subnets appear in bird's table; the withdrawal removes the flow.
func TestBGPWithBird(t *testing.T) {
	ourPort, birdPort := freePort(t, "127.0.0.1"), freePort(t, "127.0.0.2")
	cfg := fmt.Sprintf(`
vlans:
  office: {vid: 100, faucet_vips: ["10.0.1.254/24"]}
  guest: {vid: 200, faucet_vips: ["10.0.2.254/24"]}
routers:
  r1:
    vlans: [office, guest]
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
      2: {native_vlan: guest}
`, ourPort)
	lab := newLab(t)
	target := e2etest.Start(t, cfg).Target()
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(target)))
	peer := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "peer", Bridge: "s1", OFPort: 1,
		Addrs: []string{"10.0.1.50/24"}, Gateway4: "10.0.1.254"}))
	h2 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "s1", OFPort: 2,
		Addrs: []string{"10.0.2.2/24"}, Gateway4: "10.0.2.254"}))
	ctx := e2etest.Context(t, 120*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	hostSetup(ctx, t, peer, []string{"ip", "addr", "add", "203.0.113.1/24", "dev", "lo"})
	if st, _ := h2.Ping(ctx, "203.0.113.1", 2); st.Received != 0 {
		t.Fatalf("203.0.113.1 reachable before BGP: %+v", st)
	}

	b := startBird(t, fmt.Sprintf(`
router id 10.0.1.50;
protocol device {}
protocol static st4 { ipv4; route 203.0.113.0/24 blackhole; }
protocol bgp voipsdn {
  local 127.0.0.2 port %d as 65001;
  neighbor 127.0.0.1 port %d as 65000;
  multihop;
  connect delay time 1;
  connect retry time 2;
  ipv4 { import all; export all; next hop address 10.0.1.50; };
}
`, birdPort, ourPort))

	fib := func(present bool) func() error {
		return func() error {
			fs, err := lab.DumpFlows("s1")
			if err != nil {
				return err
			}
			found := false
			for _, f := range fs {
				if strings.Contains(f.MatchString(), "203.0.113.0/24") {
					found = true
				}
			}
			if found != present {
				return fmt.Errorf("FIB flow for 203.0.113.0/24 present=%v", found)
			}
			return nil
		}
	}
	poll(ctx, t, "the BGP route's FIB flow", fib(true))
	if ttl := pingTTL(ctx, t, h2, "203.0.113.1"); ttl != 63 {
		t.Errorf("h2 -> 203.0.113.1 ttl %d, want 63", ttl)
	}
	if st, err := h2.Ping(ctx, "203.0.113.1", 10); err != nil || st.Loss() > 0 {
		t.Errorf("h2 -> 203.0.113.1: %+v %v", st, err)
	}

	// voipsdn advertises its connected subnets.
	poll(ctx, t, "voipsdn's routes in bird", func() error {
		out, err := b.birdc("show", "route", "all", "protocol", "voipsdn")
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		for _, p := range []string{"10.0.1.0/24", "10.0.2.0/24"} {
			if !strings.Contains(out, p) {
				return fmt.Errorf("no %s in:\n%s", p, out)
			}
		}
		return nil
	})

	// Withdrawal: the flow goes and the prefix is unreachable again.
	if out, err := b.birdc("disable", "st4"); err != nil {
		t.Fatalf("birdc disable: %v\n%s", err, out)
	}
	poll(ctx, t, "the FIB flow's removal", fib(false))
	if st, _ := h2.Ping(ctx, "203.0.113.1", 2); st.Received != 0 {
		t.Errorf("203.0.113.1 still reachable after the withdrawal: %+v", st)
	}
	// Announced again, then the peer goes away: peer loss withdraws it.
	if out, err := b.birdc("enable", "st4"); err != nil {
		t.Fatalf("birdc enable: %v\n%s", err, out)
	}
	poll(ctx, t, "the re-announced FIB flow", fib(true))
	_ = b.cmd.Process.Kill()
	poll(ctx, t, "the FIB flow's removal on peer loss", fib(false))
}
