// Package etcdlab runs real etcd servers (Debian's etcd-server) for tests:
// a 1- or 3-member cluster on loopback ports in a temporary directory, with
// members that can be stopped and restarted. Timings are short (50 ms
// heartbeat, 500 ms election timeout) so that the server accepts 1 s
// leases. With CI set, a machine without etcd fails the tests instead of
// skipping them.
package etcdlab

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Cluster is a running etcd cluster.
type Cluster struct {
	t       testing.TB
	dir     string
	members []*Member
}

// Member is one etcd server.
type Member struct {
	c         *Cluster
	Name      string
	ClientURL string
	peerURL   string
	initial   string
	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{}
	logf      *os.File
	restarted bool
}

// Binary finds the etcd server, failing or skipping t without it.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("etcd")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("etcd not installed (scripts/install-deps.sh installs etcd-server)")
		}
		t.Skip("etcd not installed (apt-get install etcd-server)")
	}
	return p
}

// Start runs an n-member cluster and waits until it answers. It is stopped
// when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	Binary(t)
	c := &Cluster{t: t, dir: t.TempDir()}
	var initial []string
	for i := range n {
		m := &Member{c: c, Name: fmt.Sprintf("m%d", i), ClientURL: "http://" + freePort(t), peerURL: "http://" + freePort(t)}
		c.members = append(c.members, m)
		initial = append(initial, m.Name+"="+m.peerURL)
	}
	for _, m := range c.members {
		m.initial = strings.Join(initial, ",")
		if err := m.start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.stopAll)
	for _, m := range c.members {
		if err := m.WaitHealthy(30 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// Endpoints are the members' client URLs.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.members {
		out = append(out, m.ClientURL)
	}
	return out
}

// Member returns member i.
func (c *Cluster) Member(i int) *Member { return c.members[i] }

func (c *Cluster) stopAll() {
	for _, m := range c.members {
		m.Kill()
	}
}

func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (m *Member) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	state := "new"
	if m.restarted {
		state = "existing"
	}
	m.restarted = true
	data := filepath.Join(m.c.dir, m.Name)
	lf, err := os.OpenFile(data+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command("etcd",
		"--name", m.Name, "--data-dir", data,
		"--listen-client-urls", m.ClientURL, "--advertise-client-urls", m.ClientURL,
		"--listen-peer-urls", m.peerURL, "--initial-advertise-peer-urls", m.peerURL,
		"--initial-cluster", m.initial, "--initial-cluster-state", state,
		"--initial-cluster-token", "voipsdn-test",
		"--heartbeat-interval", "50", "--election-timeout", "500",
		"--log-level", "warn")
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("start etcd %s: %w", m.Name, err)
	}
	m.cmd, m.logf, m.exited = cmd, lf, make(chan struct{})
	go func(ch chan struct{}) { _ = cmd.Wait(); close(ch) }(m.exited)
	return nil
}

// Kill stops the member with SIGKILL and waits for it.
func (m *Member) Kill() {
	m.mu.Lock()
	cmd, ex, lf := m.cmd, m.exited, m.logf
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-ex
	lf.Close()
}

// Restart kills the member and starts it again on the same data and
// ports; it returns once it answers.
func (m *Member) Restart(timeout time.Duration) error {
	m.Kill()
	if err := m.start(); err != nil {
		return err
	}
	return m.WaitHealthy(timeout)
}

// Start starts a killed member again without waiting.
func (m *Member) Start() error { return m.start() }

// WaitHealthy waits until the member's /health says so.
func (m *Member) WaitHealthy(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.ClientURL+"/health", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			b, _ := os.ReadFile(filepath.Join(m.c.dir, m.Name+".log"))
			return fmt.Errorf("etcd %s not healthy after %v:\n%s", m.Name, timeout, tail(string(b), 2000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
