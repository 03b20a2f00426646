package ami_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
)

// loginServer is a real TCP AMI server that accepts every login and keeps
// each session for hold (0: closes at once after the login's answer), and
// records when each login happened.
type loginServer struct {
	ln     net.Listener
	hold   time.Duration
	mu     sync.Mutex
	logins []time.Time
	wg     sync.WaitGroup
}

func startLoginServer(t *testing.T, hold time.Duration) *loginServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &loginServer{ln: ln, hold: hold}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(nc) }()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *loginServer) serve(nc net.Conn) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = nc.Write([]byte(amisim.Greeting + "\r\n"))
	rd := ami.NewReader(bufio.NewReader(nc), 0)
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			return
		}
		id := m.ActionID()
		switch strings.ToLower(m.Get("Action")) {
		case "login":
			s.mu.Lock()
			s.logins = append(s.logins, time.Now())
			s.mu.Unlock()
			_, _ = nc.Write([]byte("Response: Success\r\nActionID: " + id + "\r\nMessage: Authentication accepted\r\n\r\n"))
			if s.hold == 0 {
				return
			}
			// Stay up for hold, answering pings, then drop.
			_ = nc.SetDeadline(time.Now().Add(s.hold))
		default:
			_, _ = nc.Write([]byte("Response: Success\r\nActionID: " + id + "\r\nPing: Pong\r\n\r\n"))
		}
	}
}

// loginsWithin counts the logins in the window after the first one.
func (s *loginServer) loginsWithin(window time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.logins {
		if at.Sub(s.logins[0]) <= window {
			n++
		}
	}
	return n
}

func (s *loginServer) runClient(t *testing.T, opts ...ami.Option) {
	ctx, cancel := context.WithCancel(context.Background())
	c, err := ami.NewClient(ami.ServerConfig{Name: "pbx", Host: "127.0.0.1", Port: s.ln.Addr().(*net.TCPAddr).Port,
		Username: "u", Secret: ami.NewSecret("p"), Auth: "plain", PingInterval: -1}, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestLoginThenDropIsNotHammered: a server that accepts each login and
// drops the session at once must see the retries slow down (the backoff
// is not reset by a login, only by a session that stayed up), not a login
// every initial delay for ever.
func TestLoginThenDropIsNotHammered(t *testing.T) {
	s := startLoginServer(t, 0)
	s.runClient(t, ami.WithBackoff(ami.Backoff{Initial: 50 * time.Millisecond, Max: 5 * time.Second, Factor: 2}))
	const window = 2 * time.Second
	eventually(t, "first login", func() bool { return s.loginsWithin(window) > 0 })
	time.Sleep(window + 200*time.Millisecond)
	// Growing: logins at 0, 0.05, 0.15, 0.35, 0.75, 1.55 s: 6. Reset at
	// each login: one every 50 ms, about 40.
	if n := s.loginsWithin(window); n < 3 || n > 8 {
		t.Fatalf("%d logins in %v after the first, want 3-8", n, window)
	}
}

// TestHealthySessionResetsBackoff: a session that stayed up for the
// healthy time resets the backoff, so a server that is fine most of the
// time is reconnected at the initial delay.
func TestHealthySessionResetsBackoff(t *testing.T) {
	s := startLoginServer(t, 150*time.Millisecond)
	s.runClient(t, ami.WithHealthyAfter(100*time.Millisecond),
		ami.WithBackoff(ami.Backoff{Initial: 50 * time.Millisecond, Max: 5 * time.Second, Factor: 4}))
	const window = 3 * time.Second
	eventually(t, "first login", func() bool { return s.loginsWithin(window) > 0 })
	time.Sleep(window + 200*time.Millisecond)
	// Reset: a session every ~0.2 s, about 15. Never reset: waits of
	// 0.05, 0.2, 0.8, 3.2 s between sessions, 4 in the window.
	if n := s.loginsWithin(window); n < 7 {
		t.Fatalf("%d logins in %v after the first, want at least 7", n, window)
	}
}

// TestReconnectSoonAfterPBXReturns: after a long outage (failed dials),
// the client reconnects within 2 s of the PBX accepting connections again,
// even with a slow session backoff.
func TestReconnectSoonAfterPBXReturns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serve := func(ln net.Listener) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
		done := make(chan struct{})
		go func() { defer close(done); _ = sim.Serve(ctx, ln) }()
		return func() { cancel(); <-done }
	}
	stop := serve(ln)
	var connects atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	c, err := ami.NewClient(ami.ServerConfig{Name: "pbx", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Username: "admin", Secret: ami.NewSecret("s3cret"), PingInterval: -1}, func(d ami.Delivery) {
		if d.Kind == ami.DeliveryConnected {
			connects.Add(1)
		}
	}, ami.WithBackoff(ami.Backoff{Initial: 100 * time.Millisecond, Max: 30 * time.Second, Factor: 2}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "login", func() bool { return connects.Load() == 1 })

	stop() // the PBX goes down
	// Down long enough that a session backoff doubling from 100 ms
	// would be waiting 3.2 s by now.
	time.Sleep(3500 * time.Millisecond)
	dials := c.Stats().Exits["dial"]
	if dials < 3 {
		t.Fatalf("%d dial attempts in 3.5 s of outage, want at least 3", dials)
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port %s taken meanwhile: %v", addr, err)
	}
	back := time.Now()
	stop = serve(ln)
	defer stop()
	eventually(t, "reconnect", func() bool { return connects.Load() == 2 })
	if d := time.Since(back); d > 2*time.Second {
		t.Fatalf("reconnected %v after the PBX accepted connections again, want within 2 s", d.Round(time.Millisecond))
	}
}
