// Package fault is voipsdn's fault suite: process-level tests that build the
// real voipsdn binary, run it against a real Open vSwitch (internal/ovslab),
// do something hostile or unlucky to it (file descriptors run out, a
// connection flood, a bad certificate, kill -9) and check at the end that the
// process is alive and serving a switch.
//
// The harness is for adding cases:
//
//	func TestSomething(t *testing.T) {
//		lab := ovslab.New(t) // skips without root/OVS; fails if CI=true
//		p := fault.Start(t, fault.Options{Config: fault.Config(1)})
//		fault.AddSwitch(t, lab, "sw1", 1, "tcp:"+p.OFAddr)
//		// ... the fault ...
//		fault.AssertServing(t, p, lab, "sw1", "tcp:"+p.OFAddr)
//	}
//
// Start writes the configuration (and any extra files: secrets, includes)
// into a fresh directory, starts `voipsdn run` with JSON logs and loopback
// listeners, and learns the OpenFlow and Prometheus addresses from its log.
// Proc reads metrics (Metric, Metrics), logs, the process's file descriptors
// and memory, and can lower its limits (SetNoFile) or kill it.
//
// For the voice cases, StartPBX is a hostile AMI server (pbx.go) that
// voipsdn logs in to (PBX.VoIPConfig gives the voip section), and that
// writes whatever a case needs: invalid bytes, event storms, a session that
// ends right after each login.
package fault

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// Binary builds cmd/voipsdn once per test process and returns its path.
// Cleanup removes it (call it from TestMain after m.Run).
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "voipsdn-fault-")
		if buildErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			// CI puts the toolchain here (.ci/run) even when PATH lacks it.
			goTool = "/usr/local/go/bin/go"
		}
		buildPath = filepath.Join(buildDir, "voipsdn")
		out, err := exec.Command(goTool, "build", "-o", buildPath, "github.com/voipsdn/voipsdn/cmd/voipsdn").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("fault: %v", buildErr)
	}
	return buildPath
}

// Cleanup removes the built binary.
func Cleanup() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// Config is a minimal configuration with one Open vSwitch DP per dpid
// (named sw<dpid>, port 1 on VLAN 100).
func Config(dpids ...uint64) string {
	var b strings.Builder
	b.WriteString("vlans: {office: {vid: 100}}\ndps:\n")
	for _, id := range dpids {
		fmt.Fprintf(&b, "  sw%d: {dp_id: %d, hardware: Open vSwitch, interfaces: {1: {native_vlan: office}}}\n", id, id)
	}
	return b.String()
}

// Options says how to start voipsdn.
type Options struct {
	// Config is the content of the main configuration file (required).
	Config string
	// Files are written beside it (name → content, mode 0600): secrets,
	// included files.
	Files map[string]string
	// OFAddr is the OpenFlow listen address (default 127.0.0.1:0; give a
	// fixed one to restart on the same port, see FreePort).
	OFAddr string
	// Args are further `voipsdn run` flags; Env further environment.
	Args []string
	Env  []string
	// Prepare, if set, runs once the files are written and before the
	// process starts: to make the configuration a symlink, say.
	Prepare func(dir, configPath string) error
}

// Proc is a running voipsdn.
type Proc struct {
	t          testing.TB
	cmd        *exec.Cmd
	Dir        string // the configuration directory
	ConfigPath string
	OFAddr     string // host:port
	PromAddr   string // host:port
	logs       *syncBuffer
	exited     chan struct{}
	waitErr    error
}

// Start runs `voipsdn run` with opts until the test ends (then SIGTERM, and
// SIGKILL if it has not stopped within 10 s). It returns once the process
// listens on both its ports.
func Start(t testing.TB, opts Options) *Proc {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "faucet.yaml")
	if err := os.WriteFile(cfg, []byte(opts.Config), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range opts.Files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if opts.Prepare != nil {
		if err := opts.Prepare(dir, cfg); err != nil {
			t.Fatal(err)
		}
	}
	of := opts.OFAddr
	if of == "" {
		of = "127.0.0.1:0"
	}
	args := append([]string{"run", "--config", cfg, "--of-listen", of, "--prom-listen", "127.0.0.1:0",
		"--log-format", "json", "--log-level", "debug"}, opts.Args...)
	p := &Proc{t: t, Dir: dir, ConfigPath: cfg, logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), opts.Env...)
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	// The child dies with the test process, whatever happens to it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(30 * time.Second)
	for p.OFAddr == "" || p.PromAddr == "" {
		if !p.Alive() {
			t.Fatalf("fault: voipsdn exited at start (%v); log:\n%s", p.waitErr, p.Logs())
		}
		if time.Now().After(deadline) {
			t.Fatalf("fault: voipsdn did not report its listeners; log:\n%s", p.Logs())
		}
		time.Sleep(20 * time.Millisecond)
		p.OFAddr, p.PromAddr = p.logValue("voipsdn running", "openflow"), p.logValue("serving metrics", "addr")
	}
	return p
}

// stop ends the process gracefully, or kills it.
func (p *Proc) stop() {
	if !p.Alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Errorf("fault: voipsdn did not stop within 10 s of SIGTERM; killing it")
		p.Kill()
	}
}

// logValue returns the string attribute key of the first JSON log record
// whose msg is msg.
func (p *Proc) logValue(msg, key string) string {
	for _, line := range strings.Split(p.Logs(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != msg {
			continue
		}
		if v, ok := rec[key].(string); ok {
			return v
		}
	}
	return ""
}

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Alive reports whether the process is still running.
func (p *Proc) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Logs returns everything the process has written so far.
func (p *Proc) Logs() string { return p.logs.String() }

// LogContains reports whether a log line contains s.
func (p *Proc) LogContains(s string) bool { return strings.Contains(p.Logs(), s) }

// Metrics scrapes /metrics: each sample as printed ("name{labels}") to its
// value.
func (p *Proc) Metrics(t testing.TB) map[string]float64 {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + p.PromAddr + "/metrics")
	if err != nil {
		t.Fatalf("fault: scrape: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("fault: scrape: %v", err)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// Metric is the sum of all samples of the metric name (any labels); -1
// when it is not exported.
func (p *Proc) Metric(t testing.TB, name string) float64 {
	t.Helper()
	sum, found := 0.0, false
	for k, v := range p.Metrics(t) {
		if k == name || strings.HasPrefix(k, name+"{") {
			sum += v
			found = true
		}
	}
	if !found {
		return -1
	}
	return sum
}

// WaitMetric waits until the metric name satisfies ok.
func (p *Proc) WaitMetric(t testing.TB, name string, ok func(float64) bool) float64 {
	t.Helper()
	var v float64
	Eventually(t, 30*time.Second, "metric "+name, func() bool {
		v = p.Metric(t, name)
		return ok(v)
	})
	return v
}

// OpenFDs counts the process's open file descriptors.
func (p *Proc) OpenFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.PID()))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// RSS is the process's resident memory in bytes.
func (p *Proc) RSS(t testing.TB) uint64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("fault: no VmRSS")
	return 0
}

// SetNoFile sets the process's soft RLIMIT_NOFILE with prlimit(1), as an
// operator's ulimit -Sn would. The hard limit stays, so the soft one can
// be raised again (raising a hard limit needs CAP_SYS_RESOURCE, which a
// container may lack).
func (p *Proc) SetNoFile(t testing.TB, n int) {
	t.Helper()
	out, err := exec.Command("prlimit", "--pid", strconv.Itoa(p.PID()), fmt.Sprintf("--nofile=%d:", n)).CombinedOutput()
	if err != nil {
		t.Fatalf("fault: prlimit: %v\n%s", err, out)
	}
}

// NoFile reads the process's soft and hard RLIMIT_NOFILE.
func (p *Proc) NoFile(t testing.TB) (soft, hard int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", p.PID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				soft, _ = strconv.Atoi(f[0])
				hard, _ = strconv.Atoi(f[1])
				return soft, hard
			}
		}
	}
	t.Fatal("fault: no open files limit")
	return 0, 0
}

// FreePort returns a loopback address with a port free right now, for a
// process that must be restarted on the same port.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Eventually polls cond every 50 ms until it holds, failing the test after
// d.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("fault: timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AddSwitch adds an OVS bridge with dpid controlled by target (e.g.
// "tcp:"+p.OFAddr, "ssl:"+p.OFAddr).
func AddSwitch(t testing.TB, lab *ovslab.Lab, name string, dpid uint64, target string) {
	t.Helper()
	if _, err := lab.AddBridge(name, dpid, ovslab.WithController(target)); err != nil {
		t.Fatal(err)
	}
}

// ControllerFlows counts the flows on bridge that carry a cookie (the
// controller's; flows OVS or a test adds by hand carry 0).
func ControllerFlows(t testing.TB, lab *ovslab.Lab, bridge string) int {
	t.Helper()
	fs, err := lab.DumpFlows(bridge)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		if f.Cookie != 0 {
			n++
		}
	}
	return n
}

// AssertServing checks that p is alive and serving bridge: the bridge is
// dropped from the controller and handed back (OVS flushes a bridge's flows
// when it gains a controller), and within 30 s it is connected again and
// holds flows, which only flow-mods from p can have put there.
func AssertServing(t testing.TB, p *Proc, lab *ovslab.Lab, bridge, target string) {
	t.Helper()
	if !p.Alive() {
		t.Fatalf("fault: voipsdn is not running (%v); log tail:\n%s", p.waitErr, tail(p.Logs(), 40))
	}
	if err := lab.DelController(bridge); err != nil {
		t.Fatal(err)
	}
	if err := lab.SetController(bridge, target); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lab.WaitConnected(ctx, bridge); err != nil {
		t.Fatalf("fault: %s did not reconnect to voipsdn: %v; log tail:\n%s", bridge, err, tail(p.Logs(), 40))
	}
	Eventually(t, 30*time.Second, bridge+"'s flows from voipsdn", func() bool { return ControllerFlows(t, lab, bridge) > 0 })
	if !p.Alive() {
		t.Fatalf("fault: voipsdn exited (%v)", p.waitErr)
	}
	if p.LogContains("panic") {
		t.Errorf("fault: voipsdn logged a panic:\n%s", tail(p.Logs(), 40))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// syncBuffer collects the process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
