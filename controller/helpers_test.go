package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// recorder is a Handler that turns callbacks into channel events.
type recorder struct {
	events chan string
	sws    chan *Switch
	ports  chan of13.PortStatus
	errs   chan *OFError
	pins   chan *of13.PacketIn
}

func newRecorder() *recorder {
	return &recorder{events: make(chan string, 100), sws: make(chan *Switch, 10),
		ports: make(chan of13.PortStatus, 100), errs: make(chan *OFError, 100), pins: make(chan *of13.PacketIn, 100)}
}

func (r *recorder) Connected(_ context.Context, sw *Switch) {
	r.events <- fmt.Sprintf("connected %016x %s", sw.DPID(), sw.RemoteAddr())
	r.sws <- sw
}
func (r *recorder) Disconnected(dpid uint64, reason error) {
	r.events <- fmt.Sprintf("disconnected %016x: %v", dpid, reason)
}
func (r *recorder) PortStatus(_ context.Context, _ *Switch, ev of13.PortStatus) { r.ports <- ev }
func (r *recorder) PacketIn(_ context.Context, _ *Switch, p *of13.PacketIn)     { r.pins <- p }
func (r *recorder) FlowRemoved(context.Context, *Switch, *of13.FlowRemoved)     {}
func (r *recorder) Error(_ context.Context, _ *Switch, e *OFError)              { r.errs <- e }

// next waits for the next event line.
func (r *recorder) next(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case <-time.After(d):
		t.Fatalf("no handler event within %s", d)
	}
	return ""
}

func (r *recorder) sw(t *testing.T, d time.Duration) *Switch {
	t.Helper()
	select {
	case sw := <-r.sws:
		return sw
	case <-time.After(d):
		t.Fatalf("no switch connected within %s", d)
	}
	return nil
}

// testServer runs srv on a loopback listener until the test ends and
// checks that Serve returned.
func testServer(t testing.TB, srv *Server, addr string) (net.Addr, func()) {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if srv.Logger == nil {
		srv.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Serve did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return ln.Addr(), stop
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	if os.Getenv("VOIPSDN_TEST_LOG") != "" {
		w.t.Logf("%s", b)
	}
	return len(b), nil
}

func featuresForFuzz() of13.Features { return of13.Features{DatapathID: 7} }
