package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/internal/app"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// controller is an in-process voipsdn on a fixed loopback port, so it can
// be stopped and started again where the switch expects it.
type controller struct {
	t       testing.TB
	cfgPath string
	addr    string
	a       *app.App
	cancel  context.CancelFunc
	done    chan struct{}
}

// newController writes cfg to a file and starts a controller with it.
func newController(t *testing.T, cfg string) *controller { return newControllerTB(t, cfg) }

func newControllerTB(t testing.TB, cfg string) *controller {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &controller{t: t, cfgPath: filepath.Join(t.TempDir(), "faucet.yaml"), addr: ln.Addr().String()}
	c.writeConfig(cfg)
	c.startOn(ln)
	t.Cleanup(c.stop)
	return c
}

func (c *controller) target() string { return "tcp:" + c.addr }

func (c *controller) writeConfig(cfg string) {
	c.t.Helper()
	if err := os.WriteFile(c.cfgPath, []byte(cfg), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c *controller) start() {
	c.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to free
		if ln, err = net.Listen("tcp", c.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	c.startOn(ln)
}

func (c *controller) startOn(ln net.Listener) {
	c.t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{c.t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.New(app.Options{ConfigPath: c.cfgPath, OFListener: ln, Logger: log})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.a, c.cancel, c.done = a, cancel, make(chan struct{})
	go func() { defer close(c.done); _ = a.Run(ctx) }()
}

func (c *controller) stop() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
		c.cancel = nil
	}
}

// status returns the DP's status.
func (c *controller) status(dpid uint64) dp.Status {
	var st dp.Status
	c.a.Manager().EachDP(func(s dp.Status) {
		if s.ID == dpid {
			st = s
		}
	})
	return st
}

// waitSynced waits until DP dpid has completed n reconciliations.
func (c *controller) waitSynced(ctx context.Context, dpid uint64, n uint64) {
	c.t.Helper()
	for ctx.Err() == nil {
		if st := c.status(dpid); st.Connected && st.Syncs >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("dp %#x did not sync (%+v)", dpid, c.status(dpid))
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

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

// flowID identifies a dumped flow by what it is, not its counters.
func flowID(f ovslab.Flow) string {
	return fmt.Sprintf("table=%d,priority=%d,cookie=%#x,%s,idle=%d,hard=%d actions=%s",
		f.Table, f.Priority, f.Cookie, f.MatchString(), f.IdleTimeout, f.HardTimeout, f.Actions)
}

func byID(fs []ovslab.Flow) map[string]ovslab.Flow {
	m := make(map[string]ovslab.Flow, len(fs))
	for _, f := range fs {
		m[flowID(f)] = f
	}
	return m
}
