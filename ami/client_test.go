package ami_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
)

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// harness runs a simulator and tears it down with the test, checking
// that no goroutine is left behind.
type harness struct {
	t      *testing.T
	sim    *amisim.Server
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newHarness(t *testing.T, ln net.Listener) *harness {
	before := runtime.NumGoroutine()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, ln: ln, ctx: ctx, cancel: cancel,
		sim: amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1,
			// Generous: a slow test machine must not make the simulator
			// drop the client (TestMalformedInput writes 8 MiB).
			WriteTimeout: 10 * time.Second})}
	h.wg.Add(1)
	go func() { defer h.wg.Done(); _ = h.sim.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		h.wg.Wait()
		eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	})
	return h
}

func (h *harness) config(secret string) ami.ServerConfig {
	return ami.ServerConfig{Name: "sim", Host: "127.0.0.1", Port: h.ln.Addr().(*net.TCPAddr).Port,
		Username: "admin", Secret: ami.NewSecret(secret), PingInterval: 50 * time.Millisecond}
}

func (h *harness) run(c *ami.Client) {
	h.wg.Add(1)
	go func() { defer h.wg.Done(); _ = c.Run(h.ctx) }()
}

func TestClientActions(t *testing.T) {
	for _, auth := range []string{"md5", "plain"} {
		t.Run(auth, func(t *testing.T) {
			h := newHarness(t, nil)
			cfg := h.config("s3cret")
			cfg.Auth = auth
			var events atomic.Int64
			c, err := ami.NewClient(cfg, func(d ami.Delivery) {
				if d.Kind == ami.DeliveryEvent {
					events.Add(1)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			h.run(c)
			eventually(t, "login", func() bool { return c.Stats().Connected })
			ctx := context.Background()
			r, err := c.Action(ctx, ami.NewAction("Ping"))
			if err != nil || r.Get("Ping") != "Pong" {
				t.Fatalf("ping: %v %v", r, err)
			}
			if _, err := c.Action(ctx, ami.NewAction("NoSuchAction")); !errors.Is(err, ami.ErrUnknownAction) {
				t.Fatalf("unknown action: %v", err)
			}
			if _, err := c.Action(ctx, ami.NewAction("Getvar", "Channel", "PJSIP/x-1", "Variable", "X")); !errors.Is(err, ami.ErrNoSuchChannel) {
				t.Fatalf("getvar: %v", err)
			}
			id, _ := h.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond})
			eventually(t, "call events", func() bool { return events.Load() >= 10 })
			r, err = c.Action(ctx, ami.NewAction("CoreShowChannels"))
			if err != nil || len(r.Events) != 2 || r.Events[0].Get("Linkedid") != id {
				t.Fatalf("CoreShowChannels: %d events, %v", len(r.Events), err)
			}
			if err := c.SetEvents(ctx, "off"); err != nil {
				t.Fatal(err)
			}
			// Pings keep flowing (50 ms interval) without errors.
			time.Sleep(150 * time.Millisecond)
			if st := c.Stats(); !st.Connected || st.Connects != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestPermissionDeniedBeforeLogin talks raw AMI to the simulator, as in
// capture 17.
func TestPermissionDeniedBeforeLogin(t *testing.T) {
	h := newHarness(t, nil)
	nc, err := net.Dial("tcp", h.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_, _ = nc.Write([]byte("Action: Ping\r\nActionID: p1\r\n\r\n"))
	rd := ami.NewReader(bufio.NewReader(nc), 0)
	g, _ := rd.ReadMessage()
	m, err := rd.ReadMessage()
	if err != nil || g.Greeting() != amisim.Greeting || m.Get("Message") != "Permission denied" || m.ActionID() != "p1" {
		t.Fatalf("got %v / %v (%v)", g, m, err)
	}
}

// TestBadSecretBackoff: a wrong secret is a clear error and the retries
// back off instead of looping.
func TestBadSecretBackoff(t *testing.T) {
	h := newHarness(t, nil)
	c, err := ami.NewClient(h.config("wrong"), nil,
		ami.WithBackoff(ami.Backoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second, Factor: 2}))
	if err != nil {
		t.Fatal(err)
	}
	h.run(c)
	eventually(t, "first failure", func() bool { return c.Stats().LoginFailures >= 1 })
	time.Sleep(1500 * time.Millisecond)
	// 100+200+400+800 ms: at most 5 attempts fit in the window, a tight
	// loop would make thousands.
	n := h.sim.Stats().LoginAttempts
	if n < 2 || n > 6 {
		t.Fatalf("%d login attempts in ~1.5 s", n)
	}
	st := c.Stats()
	if st.Connected || !strings.Contains(st.LastError, "authentication failed") || strings.Contains(st.LastError, "wrong") ||
		st.Exits["auth"] < 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestMalformedInput: garbage is skipped and counted; a huge message
// ends the connection with an error, and the client reconnects.
func TestMalformedInput(t *testing.T) {
	h := newHarness(t, nil)
	var disconnects []error
	var mu sync.Mutex
	c, _ := ami.NewClient(h.config("s3cret"), func(d ami.Delivery) {
		if d.Kind == ami.DeliveryDisconnected {
			mu.Lock()
			disconnects = append(disconnects, d.Err)
			mu.Unlock()
		}
	}, ami.WithBackoff(ami.Backoff{Initial: 50 * time.Millisecond, Max: time.Second, Factor: 2}))
	h.run(c)
	eventually(t, "login", func() bool { return c.Stats().Connected })
	for _, k := range []amisim.Malformed{amisim.Garbage, amisim.BareLF} {
		if n, err := h.sim.SendMalformed(k); n != 1 || err != nil {
			t.Fatalf("%s: %d %v", k, n, err)
		}
	}
	eventually(t, "garbage counted", func() bool { return c.Stats().GarbageLines >= 3 })
	if _, err := c.Action(context.Background(), ami.NewAction("Ping")); err != nil {
		t.Fatalf("ping after garbage: %v", err)
	}
	if _, err := h.sim.SendMalformed(amisim.Huge); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reconnect after huge message", func() bool { return c.Stats().Connects >= 2 && c.Stats().Connected })
	mu.Lock()
	defer mu.Unlock()
	if len(disconnects) == 0 || !errors.Is(disconnects[0], ami.ErrMessageTooLarge) || c.Stats().Exits["too_large"] != 1 {
		t.Fatalf("disconnect errors %v", disconnects)
	}
}

// TestOverflowCounted: a consumer that blocks makes the bounded queue
// drop events, counted and announced, while the reader keeps reading
// (pings still answered).
func TestOverflowCounted(t *testing.T) {
	h := newHarness(t, nil)
	cfg := h.config("s3cret")
	cfg.EventQueue = 8
	release := make(chan struct{})
	var overflow atomic.Uint64
	c, _ := ami.NewClient(cfg, func(d ami.Delivery) {
		if d.Kind == ami.DeliveryOverflow {
			overflow.Add(d.Dropped)
			return
		}
		if d.Kind == ami.DeliveryEvent {
			<-release
		}
	})
	h.run(c)
	eventually(t, "login", func() bool { return c.Stats().Connected })
	for i := 0; i < 20; i++ {
		_, _ = h.sim.PlaceCall(amisim.CallSpec{From: "a", To: "b", Outcome: amisim.Busy})
	}
	eventually(t, "drops", func() bool { return c.Stats().EventsDropped > 0 })
	if _, err := c.Action(context.Background(), ami.NewAction("Ping")); err != nil {
		t.Fatalf("reader stalled behind a blocked consumer: %v", err)
	}
	close(release)
	eventually(t, "overflow announced", func() bool { return overflow.Load() > 0 })
	st := c.Stats()
	if st.EventsReceived != st.EventsDelivered+st.EventsDropped+uint64(st.QueueLen) && st.QueueLen == 0 {
		t.Fatalf("counters do not add up: %+v", st)
	}
}

func TestManagerTwoServers(t *testing.T) {
	h1, h2 := newHarness(t, nil), newHarness(t, nil)
	c1, c2 := h1.config("s3cret"), h2.config("s3cret")
	c1.Name, c2.Name = "pbx1", "pbx2"
	var mu sync.Mutex
	seen := map[string]int{}
	m, err := ami.NewManager([]ami.ServerConfig{c1, c2}, func(d ami.Delivery) {
		if d.Kind == ami.DeliveryEvent && d.Msg.Event() == "Newchannel" {
			mu.Lock()
			seen[d.Server]++
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done }) // runs before the harnesses' cleanups
	eventually(t, "both logged in", func() bool {
		s := m.Stats()
		return s[0].Connected && s[1].Connected
	})
	_, _ = h1.sim.PlaceCall(amisim.CallSpec{From: "1", To: "2"})
	_, _ = h2.sim.PlaceCall(amisim.CallSpec{From: "3", To: "4", Outcome: amisim.Unavailable})
	eventually(t, "events from both", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["pbx1"] == 2 && seen["pbx2"] == 1
	})
	if _, err := ami.NewManager([]ami.ServerConfig{c1, c1}, nil); err == nil {
		t.Fatal("duplicate names accepted")
	}
}

func TestTLS(t *testing.T) {
	cert := selfSigned(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, tls.NewListener(inner, &tls.Config{Certificates: []tls.Certificate{cert}}))
	cfg := h.config("s3cret")
	cfg.TLS, cfg.TLSSkipVerify = true, true
	c, err := ami.NewClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.run(c)
	eventually(t, "TLS login", func() bool { return c.Stats().Connected })
}

func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "amisim"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"127.0.0.1"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
