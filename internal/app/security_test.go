package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// syncBuffer is a log sink tests read while the App writes.
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

// runApp runs an App with opts (ConfigPath set from content) until the test
// ends.
func runApp(t *testing.T, content string, opts Options) *App {
	t.Helper()
	a, run := newApp(t, content, opts)
	run()
	return a
}

// newApp makes an App whose listeners are open; run starts it.
func newApp(t *testing.T, content string, opts Options) (*App, func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.ConfigPath = path
	if opts.OFListen == "" {
		opts.OFListen = "127.0.0.1:0"
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The profiler is served only on its own address, never beside /metrics.
func TestPprofOnlyOnItsOwnAddress(t *testing.T) {
	a := runApp(t, goodConfig, Options{PromListen: "127.0.0.1:0"})
	if a.PprofAddr() != nil {
		t.Fatal("the profiler listens though no address was given")
	}
	if code, _ := get(t, "http://"+a.PromAddr().String()+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ on the metrics address: %d, want 404", code)
	}
	b := runApp(t, goodConfig, Options{PromListen: "127.0.0.1:0", PprofListen: "127.0.0.1:0"})
	if code, _ := get(t, "http://"+b.PromAddr().String()+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ on the metrics address with a pprof address: %d, want 404", code)
	}
	if code, body := get(t, "http://"+b.PprofAddr().String()+"/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ on the pprof address: %d", code)
	}
	if code, _ := get(t, "http://"+b.PprofAddr().String()+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the pprof address: %d, want 404", code)
	}
}

// The HTTP servers bound idle keep-alive connections, header read time and
// header size, so that clients cannot pile connections up.
func TestHTTPServerBounds(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler())
	if srv.IdleTimeout <= 0 || srv.IdleTimeout > 5*time.Minute {
		t.Errorf("IdleTimeout %v", srv.IdleTimeout)
	}
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > time.Minute {
		t.Errorf("ReadHeaderTimeout %v", srv.ReadHeaderTimeout)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes %d", srv.MaxHeaderBytes)
	}
}

// An AMI secret file that group or others may read gets a warning naming
// the file, never the secret.
func TestSecretFileModeWarning(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o640, true}, {0o600, false}} {
		secret := filepath.Join(dir, "ami-secret-"+c.mode.String())
		if err := os.WriteFile(secret, []byte("Sup3rSecret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(secret, c.mode); err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		cfg := goodConfig + "voip:\n  asterisk:\n    pbx1: {host: 127.0.0.1, port: 1, username: u, secret_file: " + secret + "}\n"
		a := runApp(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		waitFor(t, "the config", func() bool { return a.Config() != nil })
		out := logs.String()
		if got := strings.Contains(out, "readable by group or others"); got != c.warn {
			t.Errorf("mode %v: warned %v, want %v; log:\n%s", c.mode, got, c.warn, out)
		}
		if strings.Contains(out, "Sup3rSecret") {
			t.Errorf("the log shows the secret:\n%s", out)
		}
	}
}

// After a real switch connects and gets its flows, the session layer's
// metrics (messages, bytes, queue waits, handler times) have moved: the
// TimingHook is wired in the App.
func TestOpenFlowMetricsMoveWithOVS(t *testing.T) {
	lab := ovslab.New(t)
	a := runApp(t, goodConfig, Options{PromListen: "127.0.0.1:0"})
	waitFor(t, "the config", func() bool { return a.Config() != nil })
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+a.OFAddr().String())); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lab.WaitConnected(ctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "flows on the switch", func() bool {
		fs, err := lab.DumpFlows("sw1")
		return err == nil && len(fs) > 5
	})
	want := []string{
		`voipsdn_of_messages_sent_total{dp_id="0x1",dp_name="sw1"}`,
		`voipsdn_of_sent_bytes_total{dp_id="0x1",dp_name="sw1"}`,
		`voipsdn_of_queue_wait_seconds_count{dp_id="0x1",dp_name="sw1"}`,
		`voipsdn_of_handler_seconds_count{dp_id="0x1",dp_name="sw1",event="connected"}`,
	}
	var body string
	waitFor(t, "non-zero OpenFlow metrics", func() bool {
		_, body = get(t, "http://"+a.PromAddr().String()+"/metrics")
		for _, w := range want {
			if metricValue(body, w) <= 0 {
				return false
			}
		}
		return true
	})
}

// metricValue finds the sample named exactly series in an exposition; -1
// when absent.
func metricValue(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// At cold start the controller deletes the flows on the switch that are not
// its own (a cookie-0 flow added before it connected), as Faucet does, but
// keeps per-call voice flows (their cookies are the voice service's); with
// keep_foreign_flows the foreign flow stays too.
func TestForeignFlowsOnOVS(t *testing.T) {
	lab := ovslab.New(t)
	for i, keep := range []bool{false, true} {
		cfg := goodConfig
		if keep {
			cfg = strings.Replace(cfg, "dp_id: 1,", "dp_id: 1, keep_foreign_flows: true,", 1)
		}
		// OVS flushes a bridge's flows when it gets its first
		// controller, so the bridge points at the controller from the
		// start, and the flows are added before the controller runs (its
		// listener is open: OVS connects and waits for the hello).
		a, run := newApp(t, cfg, Options{})
		name := fmt.Sprintf("sw%d", i)
		if _, err := lab.AddBridge(name, 1, ovslab.WithController("tcp:"+a.OFAddr().String())); err != nil {
			t.Fatal(err)
		}
		if err := lab.AddFlow(name, "cookie=0,table=0,priority=60000,in_port=77,actions=drop"); err != nil {
			t.Fatal(err)
		}
		if err := lab.AddFlow(name, "cookie=0x5643000000000009,table=0,priority=59999,in_port=78,actions=drop"); err != nil {
			t.Fatal(err)
		}
		if fs, err := lab.DumpFlows(name); err != nil || len(fs) != 2 {
			t.Fatalf("before the controller runs, the switch has %d flows (%v), want the 2 added", len(fs), err)
		}
		run()
		waitFor(t, "the controller's flows", func() bool {
			fs, err := lab.DumpFlows(name)
			return err == nil && len(fs) > 5 && a.Manager() != nil && dpSynced(a)
		})
		fs, err := lab.DumpFlows(name)
		if err != nil {
			t.Fatal(err)
		}
		var foreign, call bool
		for _, f := range fs {
			foreign = foreign || f.Match["in_port"] == "77"
			call = call || f.Match["in_port"] == "78"
		}
		if foreign != keep {
			t.Errorf("keep_foreign_flows %v: the cookie-0 flow is there: %v", keep, foreign)
		}
		if !call {
			t.Errorf("keep_foreign_flows %v: the per-call flow was deleted", keep)
		}
		if err := lab.DelBridge(name); err != nil {
			t.Fatal(err)
		}
	}
}

// dpSynced reports whether DP 1 has been reconciled at least once.
func dpSynced(a *App) bool {
	synced := false
	a.Manager().EachDP(func(s dp.Status) { synced = synced || s.Connected && s.Syncs > 0 })
	return synced
}
