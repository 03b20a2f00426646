package fault

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/internal/testpki"
)

// Running out of file descriptors (RLIMIT_NOFILE lowered on the running
// process, so accept fails with EMFILE) does not end voipsdn: accepts are
// retried, counted, and once descriptors are available again the switch is
// served.
func TestEMFILEOnAccept(t *testing.T) {
	lab := ovslab.New(t)
	p := Start(t, Options{Config: Config(1)})
	target := "tcp:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	AssertServing(t, p, lab, "sw1", target)

	soft, _ := p.NoFile(t)
	p.SetNoFile(t, p.OpenFDs(t))
	var conns []net.Conn
	for range 5 {
		c, err := net.Dial("tcp", p.OFAddr) // completes in the kernel's backlog
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	Eventually(t, 30*time.Second, "the accept failure in the log", func() bool { return p.LogContains("accept failing") })
	time.Sleep(500 * time.Millisecond) // several retries at growing intervals
	if !p.Alive() {
		t.Fatalf("voipsdn exited on EMFILE; log tail:\n%s", tail(p.Logs(), 20))
	}
	p.SetNoFile(t, soft)
	for _, c := range conns {
		c.Close()
	}
	AssertServing(t, p, lab, "sw1", target)
	if n := p.Metric(t, "voipsdn_of_accept_errors_total"); n < 1 {
		t.Errorf("voipsdn_of_accept_errors_total = %v after EMFILE", n)
	}
}

// A flood of idle TCP connections is capped: from one address, the
// connections over the per-address cap are refused while a switch elsewhere
// connects; from many addresses, the global cap holds and memory stays
// bounded. After the flood the switch is served.
func TestConnectionFlood(t *testing.T) {
	lab := ovslab.New(t)
	p := Start(t, Options{Config: Config(1)})
	target := "tcp:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	AssertServing(t, p, lab, "sw1", target)
	rssBefore := p.RSS(t)

	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	dial := func(src string) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", p.OFAddr)
		if err != nil {
			t.Fatalf("flood dial from %s: %v", src, err)
		}
		flood = append(flood, c)
	}
	// One address: all but the per-address cap (32) are refused, and the
	// switch (from 127.0.0.1) is served meanwhile.
	for range 1000 {
		dial("127.0.0.2")
	}
	p.WaitMetric(t, "voipsdn_of_connections_refused_total", func(v float64) bool { return v >= 1000-32 })
	AssertServing(t, p, lab, "sw1", target)

	// Many addresses, each under its cap: the global cap (256 pending)
	// holds; memory stays far below the 129 KB a connection cost before.
	for i := range 2000 {
		dial(fmt.Sprintf("127.0.%d.%d", 10+i/200, 1+i%200))
	}
	p.WaitMetric(t, "voipsdn_of_connections_refused_total", func(v float64) bool { return v >= 1000-32+2000-256 })
	if grew := int64(p.RSS(t)) - int64(rssBefore); grew > 100<<20 {
		t.Errorf("RSS grew by %d MB during a flood of 3000 connections", grew>>20)
	}
	for _, c := range flood {
		c.Close()
	}
	flood = nil
	AssertServing(t, p, lab, "sw1", target)
}

// tlsFiles makes a CA, the controller's certificate and a switch
// certificate with common name cn from ca (or, with rogue, from another
// CA), and writes them for voipsdn and OVS.
type tlsFiles struct{ dir, ca, ctlKey, ctlCert, swKey, swCert, rogueKey, rogueCert string }

func makeTLSFiles(t *testing.T) tlsFiles {
	t.Helper()
	dir := t.TempDir()
	ca, rogue := testpki.NewCA(t, "switches"), testpki.NewCA(t, "rogue")
	f := tlsFiles{dir: dir, ca: ca.File(t, dir, "ca")}
	f.ctlCert, f.ctlKey = ca.Issue(t, "voipsdn", []string{"voipsdn"}).Files(t, dir, "ctl")
	f.swCert, f.swKey = ca.Issue(t, "0000000000000001", nil).Files(t, dir, "sw1")
	f.rogueCert, f.rogueKey = rogue.Issue(t, "0000000000000001", nil).Files(t, dir, "rogue")
	return f
}

func (f tlsFiles) args() []string {
	return []string{"--ctl-privkey", f.ctlKey, "--ctl-cert", f.ctlCert, "--ca-certs", f.ca, "--of-bind-dpid"}
}

// OpenFlow over TLS with OVS's own TLS: a switch with a certificate from
// the CA that names its datapath id connects and gets its flows; a bridge
// presenting that certificate for another configured datapath is refused
// and does not displace it.
func TestTLSGoodCertificate(t *testing.T) {
	lab := ovslab.New(t)
	f := makeTLSFiles(t)
	if err := lab.SetSSL(f.swKey, f.swCert, f.ca); err != nil {
		t.Fatal(err)
	}
	p := Start(t, Options{Config: Config(1, 2), Args: f.args()})
	target := "ssl:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	Eventually(t, 30*time.Second, "sw1's flows over TLS", func() bool { return ControllerFlows(t, lab, "sw1") > 0 })
	// sw2 is configured, but OVS presents sw1's certificate for it.
	AddSwitch(t, lab, "sw2", 2, target)
	p.WaitMetric(t, "voipsdn_of_dpid_binding_refused_total", func(v float64) bool { return v >= 1 })
	if n := ControllerFlows(t, lab, "sw2"); n != 0 {
		t.Errorf("sw2, whose certificate names datapath 1, got %d flows", n)
	}
	if n := p.Metric(t, "voipsdn_of_dpid_takeovers_total"); n != 0 {
		t.Errorf("voipsdn_of_dpid_takeovers_total = %v", n)
	}
	// A plain connection to the TLS port gets nothing.
	c, err := net.Dial("tcp", p.OFAddr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte{4, 0, 0, 8, 0, 0, 0, 1}) // an OpenFlow hello
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	// A TLS alert record (type 21) may come back; an OpenFlow message
	// (version 4 first) must not.
	if n, _ := c.Read(buf); n > 0 && buf[0] != 21 {
		t.Errorf("a plain connection to the TLS port was answered: % x", buf[:n])
	}
	c.Close()
	AssertServing(t, p, lab, "sw1", target)
}

// A switch whose certificate comes from another CA is refused in the TLS
// handshake and gets no flow; once OVS has a good certificate it is served.
func TestTLSBadCertificate(t *testing.T) {
	lab := ovslab.New(t)
	f := makeTLSFiles(t)
	if err := lab.SetSSL(f.rogueKey, f.rogueCert, f.ca); err != nil {
		t.Fatal(err)
	}
	p := Start(t, Options{Config: Config(1), Args: f.args()})
	target := "ssl:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	p.WaitMetric(t, "voipsdn_of_connections_rejected_total", func(v float64) bool { return v >= 1 })
	if n := ControllerFlows(t, lab, "sw1"); n != 0 {
		t.Errorf("a switch with a certificate from another CA got %d flows", n)
	}
	if !p.LogContains("TLS handshake failed") {
		t.Errorf("the refused certificate is not logged")
	}
	if err := lab.SetSSL(f.swKey, f.swCert, f.ca); err != nil {
		t.Fatal(err)
	}
	AssertServing(t, p, lab, "sw1", target)
}

// kill -9 of the controller: a new process on the same port serves the
// switch again, finds its flows in place and adds no duplicate.
func TestKill9AndRestart(t *testing.T) {
	lab := ovslab.New(t)
	addr := FreePort(t)
	cfg := Config(1)
	p := Start(t, Options{Config: cfg, OFAddr: addr})
	target := "tcp:" + addr
	AddSwitch(t, lab, "sw1", 1, target)
	AssertServing(t, p, lab, "sw1", target)
	before := ControllerFlows(t, lab, "sw1")
	p.Kill()

	p2 := Start(t, Options{Config: cfg, OFAddr: addr})
	// The switch comes back by itself (OVS retries), and the new process
	// reconciles it.
	p2.WaitMetric(t, "of_dp_connections_total", func(v float64) bool { return v >= 1 })
	Eventually(t, 30*time.Second, "the reconciliation", func() bool { return p2.LogContains("switch in sync") })
	if after := ControllerFlows(t, lab, "sw1"); after != before {
		t.Errorf("after the restart the switch has %d flows, before %d", after, before)
	}
	AssertServing(t, p2, lab, "sw1", target)
}
