package ami_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// certFor makes a self-signed certificate for ip (and, if set, only for
// the DNS name dns) and returns it with its PEM file.
func certFor(t *testing.T, ip net.IP, dns string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "pbx"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	if dns != "" {
		tmpl.DNSNames = []string{dns}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, file
}

// TestTLSVerifiesTheServer: with tls: true and verification on (the
// default), a server whose certificate the client cannot verify is
// refused before anything is sent, the secret least of all; one whose
// certificate verifies against tls_ca_file and names the host is accepted.
func TestTLSVerifiesTheServer(t *testing.T) {
	loopback := net.IPv4(127, 0, 0, 1)
	for _, tc := range []struct {
		name   string
		ip     net.IP
		dns    string
		trust  bool // give the client the certificate as its CA
		accept bool
	}{
		{name: "self-signed, not trusted", ip: loopback},
		{name: "trusted, for another host", dns: "other.example", trust: true},
		{name: "trusted, for this host", ip: loopback, trust: true, accept: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert, pemFile := certFor(t, tc.ip, tc.dns)
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, tls.NewListener(inner, &tls.Config{Certificates: []tls.Certificate{cert}}))
			cfg := h.config("s3cret")
			cfg.TLS = true
			if tc.trust {
				cfg.TLSCAFile = pemFile
			}
			c, err := ami.NewClient(cfg, nil, ami.WithConnectBackoff(ami.Backoff{Initial: 20 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 1}),
				ami.WithBackoff(ami.Backoff{Initial: 20 * time.Millisecond, Max: 20 * time.Millisecond, Factor: 1}))
			if err != nil {
				t.Fatal(err)
			}
			h.run(c)
			if tc.accept {
				eventually(t, "TLS login", func() bool { return c.Stats().Connected })
				return
			}
			// Several handshakes, each refused by the client.
			eventually(t, "refused handshakes", func() bool {
				return h.sim.Stats().Connections >= 3 && strings.Contains(c.Stats().LastError, "certificate")
			})
			if st, sim := c.Stats(), h.sim.Stats(); st.Connected || st.Connects != 0 || sim.LoginAttempts != 0 {
				t.Fatalf("unverified server got a session: client %+v, server %+v", st, sim)
			}
		})
	}
}
