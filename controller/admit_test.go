package controller

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/internal/testpki"
)

// failingListener fails its first n accepts with err, then accepts.
type failingListener struct {
	net.Listener
	mu  sync.Mutex
	n   int
	err error
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.n > 0 {
		l.n--
		l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// Running out of file descriptors is a passing condition: the server waits
// and accepts again instead of returning (and taking the process down).
func TestAcceptEMFILERetried(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE} {
		t.Run(errno.Error(), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			fl := &failingListener{Listener: ln, n: 8, err: &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}}
			rec := newRecorder()
			srv := &Server{Handler: rec, HandshakeTimeout: 5 * time.Second}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ctx, fl) }()
			f := dialFake(t, ln.Addr())
			f.handshake(7)
			select {
			case err := <-done:
				t.Fatalf("Serve returned on %v: %v", errno, err)
			case <-connected(rec):
			case <-time.After(10 * time.Second):
				t.Fatal("the switch was not served after the accept errors")
			}
			if got := srv.Stats().AcceptErrors; got != 8 {
				t.Errorf("AcceptErrors = %d, want 8", got)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve after cancel: %v", err)
			}
		})
	}
}

func connected(rec *recorder) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		defer close(c)
		for ev := range rec.events {
			if strings.HasPrefix(ev, "connected") {
				return
			}
		}
	}()
	return c
}

// dialFrom opens a TCP connection to addr from the loopback address src.
func dialFrom(t *testing.T, src string, addr net.Addr) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedSoon reports whether the server closes c within d, reading
// whatever it sends first (its hello).
func closedSoon(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 64)
	for {
		if _, err := c.Read(buf); err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

// A flood of idle connections from one address is capped per address; the
// connections over the cap are closed at once, and a switch from another
// address still connects during the flood.
func TestConnectionFloodCappedPerAddress(t *testing.T) {
	s := &Server{MaxPendingPerAddr: 10, HandshakeTimeout: 30 * time.Second}
	rec, addr := startFake(t, s)
	var flood []net.Conn
	for range 40 {
		flood = append(flood, dialFrom(t, "127.0.0.2", addr))
	}
	waitUntil(t, "refusals", func() bool { return s.Stats().Refused == 30 })
	closed := 0
	for _, c := range flood {
		if closedSoon(c, 200*time.Millisecond) {
			closed++
		}
	}
	if closed != 30 {
		t.Errorf("%d flood connections closed, want the 30 over the cap", closed)
	}
	f := dialFake(t, addr)
	f.handshake(7)
	rec.sw(t, 5*time.Second)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A flood from many addresses is capped globally, and the connections
// still in their handshake hold small buffers only: 600 idle connections
// (the pending cap is 256) must not grow the heap by anything near the
// 129 KB each that two 64 KiB buffers per connection cost.
func TestConnectionFloodHeapBounded(t *testing.T) {
	s := &Server{HandshakeTimeout: 30 * time.Second}
	rec, addr := startFake(t, s)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var flood []net.Conn
	for i := range 600 {
		flood = append(flood, dialFrom(t, fmt.Sprintf("127.0.1.%d", 1+i%30), addr))
	}
	waitUntil(t, "the flood to be accepted", func() bool {
		return s.pendingCount() == defaultMaxPending && s.Stats().Refused == uint64(600-defaultMaxPending)
	})
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	// 256 × 129 KB would be 33 MB; small buffers, goroutines' bookkeeping
	// and the test's own client sockets are well under 8 MB.
	if grew > 8<<20 {
		t.Errorf("heap grew by %d MB for %d pending connections", grew>>20, defaultMaxPending)
	}
	for _, c := range flood {
		c.Close()
	}
	waitUntil(t, "the flood to be gone", func() bool { return s.pendingCount() == 0 })
	f := dialFake(t, addr)
	f.handshake(7)
	rec.sw(t, 5*time.Second)
}

// The controller answers a configured switch's echo request with a reply
// carrying the same xid and payload, both during the handshake and once the
// session is up.
func TestEchoRequestAnswered(t *testing.T) {
	rec, addr := startFake(t, &Server{Accept: func(dpid uint64) bool { return dpid == 7 }})
	f := dialFake(t, addr)
	f.expect(wire.TypeHello)
	f.send(msg(4, wire.TypeHello, 1, []byte{0, 1, 0, 8, 0, 0, 0, 0x10}))
	f.expect(wire.TypeFeaturesRequest)
	f.send(msg(4, wire.TypeEchoRequest, 0xabc, []byte("during handshake")))
	h, body := f.expect(wire.TypeEchoReply)
	if h.XID != 0xabc || string(body) != "during handshake" {
		t.Errorf("handshake echo reply xid %#x payload %q", h.XID, body)
	}
	feat := []byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 1, 0, 254, 0, 0, 0, 0, 0, 0, 0x4f, 0, 0, 0, 0}
	f.send(msg(4, wire.TypeFeaturesReply, 2, feat))
	mh, _ := f.expect(wire.TypeMultipartRequest)
	f.send(multipartReply(mh.XID, wire.MPPortDesc, 0, portBytes(1, "p1")))
	rec.sw(t, 5*time.Second)
	payload := bytes.Repeat([]byte("voice"), 1000) // longer than the handshake buffer
	f.send(msg(4, wire.TypeEchoRequest, 0x12345678, payload))
	h, body = f.expect(wire.TypeEchoReply)
	if h.XID != 0x12345678 || !bytes.Equal(body, payload) {
		t.Errorf("echo reply xid %#x, %d bytes; want xid 0x12345678 and the %d bytes sent", h.XID, len(body), len(payload))
	}
}

// A second plain connection claiming a connected datapath still takes it
// over (Faucet's behaviour, which a reconnecting switch needs), and is
// counted.
func TestTakeoverCounted(t *testing.T) {
	s := &Server{}
	rec, addr := startFake(t, s)
	dialFake(t, addr).handshake(7)
	rec.sw(t, 5*time.Second)
	dialFake(t, addr).handshake(7)
	rec.sw(t, 5*time.Second)
	if got := s.Stats().Takeovers; got != 1 {
		t.Errorf("Takeovers = %d, want 1", got)
	}
}

// tlsFake dials addr over TLS with cert, trusting ca for the controller.
func tlsFake(t *testing.T, addr net.Addr, cert *testpki.Cert, ca *testpki.CA) *fakeSwitch {
	t.Helper()
	c, err := tls.Dial("tcp", addr.String(), &tls.Config{
		Certificates: []tls.Certificate{cert.TLS(t)}, RootCAs: ca.Pool(), ServerName: "controller",
	})
	if err != nil {
		// A refused client certificate may surface only on the first read.
		t.Logf("tls dial: %v", err)
		return nil
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &fakeSwitch{t: t, conn: c, r: wire.NewReader(bufio.NewReader(c))}
}

// Over TLS a switch needs a certificate from the configured CA, and with
// BindDPID one that names the datapath id it claims; a refused claim does
// not disturb the switch that holds the datapath.
func TestTLSVerifiesAndBindsDatapath(t *testing.T) {
	ca, other := testpki.NewCA(t, "switch CA"), testpki.NewCA(t, "rogue CA")
	ctl := ca.Issue(t, "controller", []string{"controller"})
	pool := ca.Pool()
	cfg := &tls.Config{Certificates: []tls.Certificate{ctl.TLS(t)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	s := &Server{TLSConfig: cfg, BindDPID: true}
	rec, addr := startFake(t, s)

	good := tlsFake(t, addr, ca.Issue(t, "0000000000000007", nil), ca)
	good.handshake(7)
	sw := rec.sw(t, 5*time.Second)

	// Another CA: refused in the TLS handshake.
	if f := tlsFake(t, addr, other.Issue(t, "0000000000000007", nil), ca); f != nil {
		if seen := f.expectClosed(); len(seen) != 0 {
			t.Errorf("a switch with a certificate from another CA was sent %v", seen)
		}
	}
	// The right CA, but a certificate for datapath 8 claiming 7.
	f := tlsFake(t, addr, ca.Issue(t, "sw8", []string{"0x8"}), ca)
	f.expect(wire.TypeHello)
	f.send(msg(4, wire.TypeHello, 1, []byte{0, 1, 0, 8, 0, 0, 0, 0x10}))
	f.expect(wire.TypeFeaturesRequest)
	f.send(msg(4, wire.TypeFeaturesReply, 2, []byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 1, 0, 254, 0, 0, 0, 0, 0, 0, 0x4f, 0, 0, 0, 0}))
	f.expectClosed()
	if st := s.Stats(); st.BindingRefused != 1 || st.Takeovers != 0 {
		t.Errorf("BindingRefused %d, Takeovers %d; want 1 and 0", st.BindingRefused, st.Takeovers)
	}
	if cur, ok := s.Switch(7); !ok || cur != sw {
		t.Error("the refused claim displaced the switch holding the datapath")
	}
	select {
	case <-sw.Done():
		t.Error("the real switch's session ended")
	default:
	}
}

func TestCertNamesDPID(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	for _, c := range []struct {
		cn   string
		dns  []string
		dpid uint64
		want bool
	}{
		{"00000000000000a1", nil, 0xa1, true},
		{"00000000000000A1", nil, 0xa1, true},
		{"0xa1", nil, 0xa1, true},
		{"161", nil, 0xa1, true},
		{"switch", []string{"x", "0xa1"}, 0xa1, true},
		{"0xa2", nil, 0xa1, false},
		{"switch", []string{"sw.example"}, 0xa1, false},
		{"", nil, 0, false},
	} {
		cert := ca.Issue(t, c.cn, c.dns).Cert
		if got := CertNamesDPID(cert, c.dpid); got != c.want {
			t.Errorf("CN %q DNS %q dpid %#x: %v, want %v", c.cn, c.dns, c.dpid, got, c.want)
		}
	}
}
