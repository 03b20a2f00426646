// Package e2etest runs an in-process voipsdn (internal/app) for the
// end-to-end tests on Open vSwitch: the controller listens on a loopback
// port of its own, logs to the test, and stops when the test ends. It can
// be stopped and started again on the same address, as a restarted
// controller process would be, while the switch keeps reconnecting there.
package e2etest

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/internal/app"
)

// Controller is an in-process voipsdn running a configuration file.
type Controller struct {
	t       testing.TB
	cfgPath string
	addr    string
	a       *app.App
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start writes cfg to a file in the test's temporary directory and runs a
// controller with it until Stop or the end of the test.
func Start(t testing.TB, cfg string) *Controller {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Controller{t: t, cfgPath: filepath.Join(t.TempDir(), "faucet.yaml"), addr: ln.Addr().String()}
	c.WriteConfig(cfg)
	c.startOn(ln)
	t.Cleanup(c.Stop)
	return c
}

// App is the running controller (replaced by Restart).
func (c *Controller) App() *app.App { return c.a }

// Target is the controller's address as an OVS controller target.
func (c *Controller) Target() string { return "tcp:" + c.addr }

// ConfigPath is the controller's configuration file.
func (c *Controller) ConfigPath() string { return c.cfgPath }

// WriteConfig replaces the configuration file; the controller reads it
// at its next reload or start.
func (c *Controller) WriteConfig(cfg string) {
	c.t.Helper()
	if err := os.WriteFile(c.cfgPath, []byte(cfg), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// Restart starts the controller again on the same address after Stop.
func (c *Controller) Restart() {
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

func (c *Controller) startOn(ln net.Listener) {
	c.t.Helper()
	a, err := app.New(app.Options{ConfigPath: c.cfgPath, OFListener: ln, Logger: Logger(c.t)})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.a, c.cancel, c.done = a, cancel, make(chan struct{})
	go func() { defer close(c.done); _ = a.Run(ctx) }()
}

// Stop stops the controller and waits until it has; it may be called
// more than once.
func (c *Controller) Stop() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
		c.cancel = nil
	}
}

// Status returns the status of DP dpid.
func (c *Controller) Status(dpid uint64) dp.Status {
	var st dp.Status
	c.a.Manager().EachDP(func(s dp.Status) {
		if s.ID == dpid {
			st = s
		}
	})
	return st
}

// WaitSynced waits until DP dpid is connected and has completed n
// reconciliations.
func (c *Controller) WaitSynced(ctx context.Context, dpid uint64, n uint64) {
	c.t.Helper()
	for ctx.Err() == nil {
		if st := c.Status(dpid); st.Connected && st.Syncs >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("dp %#x did not sync (%+v)", dpid, c.Status(dpid))
}

// Logger logs at info level to t.Log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// Context is a context that ends after d or with the test.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Must returns a function that returns v, or fails the test on err:
// Must[*ovslab.Host](t)(lab.AddHost(spec)).
func Must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
