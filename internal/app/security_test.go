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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return a
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
