package agi

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/call"
)

const captures = "testdata/captures"

// sink collects emitted events.
type sink struct {
	mu  sync.Mutex
	evs []call.Event
}

func (s *sink) emit(ev call.Event) {
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	s.mu.Unlock()
}

func (s *sink) classified() []call.Classified {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []call.Classified
	for _, ev := range s.evs {
		if c, ok := ev.(call.Classified); ok {
			out = append(out, c)
		}
	}
	return out
}

// testServer runs a FastAGI server on 127.0.0.1 (the address of PBX
// "pbx1") and stops it, checking that every goroutine it started ended.
type testServer struct {
	*Server
	addr string
	sink *sink
}

func startServer(t *testing.T, opt Options) *testServer {
	t.Helper()
	base := runtime.NumGoroutine()
	if opt.PBXs == nil {
		opt.PBXs = []PBX{{Name: "pbx1", Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}}
	}
	if opt.Classifier == nil {
		opt.Classifier = NewClassifier([]string{"emergency", "bulk"}, nil)
	}
	if opt.Timeout == 0 {
		opt.Timeout = 2 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sk := &sink{}
	s := NewServer(opt, sk.emit)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after cancel")
		}
		settle(t, base)
	})
	return &testServer{Server: s, addr: ln.Addr().String(), sink: sk}
}

// settle waits until the goroutine count is back to base (a leak check:
// it fails only if goroutines stay, however long the wait).
func settle(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines leaked: %d > %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFor polls cond until it holds (or fails the test after 10 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(captures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
