package routing

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/app"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// startController runs an in-process voipsdn with cfg until the test ends
// and returns its OpenFlow target.
func startController(t *testing.T, cfg string) (*app.App, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.New(app.Options{ConfigPath: path, OFListener: ln, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return a, "tcp:" + ln.Addr().String()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var ttlRE = regexp.MustCompile(`(?:ttl|hlim)=(\d+)`)

// pingTTL pings dst once from h (retrying until ctx ends) and returns the
// TTL or hop limit of the reply.
func pingTTL(ctx context.Context, t *testing.T, h *ovslab.Host, dst string) int {
	t.Helper()
	var last string
	for ctx.Err() == nil {
		out, _ := h.Exec(ctx, "ping", "-n", "-c", "1", "-W", "1", dst)
		if m := ttlRE.FindStringSubmatch(out); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
		last = out
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: no reply from %s: %s", h.Name, dst, last)
	return 0
}

// hostSetup runs shell commands in a host, failing the test on error.
func hostSetup(ctx context.Context, t *testing.T, h *ovslab.Host, cmds ...[]string) {
	t.Helper()
	for _, c := range cmds {
		if out, err := h.Exec(ctx, c...); err != nil {
			t.Fatalf("%s: %v: %v: %s", h.Name, c, err, out)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// newLab is ovslab.New with a longer wait for the machine-wide OVS lock:
// other packages' OVS tests may hold it for minutes.
func newLab(t testing.TB) *ovslab.Lab {
	t.Helper()
	ovslab.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l, err := ovslab.Start(ctx, ovslab.Options{Logf: t.Logf})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Logf("ovslab: close: %v", err)
		}
	})
	return l
}
