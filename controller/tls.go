package controller

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrDPIDNotBound is returned when a switch's certificate does not name the
// datapath id it claims.
var ErrDPIDNotBound = errors.New("certificate does not name the datapath id")

// CertNamesDPID reports whether cert is bound to dpid: its subject common
// name or one of its DNS subject alternative names, ignoring case, is the
// datapath id written as 16 hex digits ("00000000000000a1"), as 0x and hex
// without leading zeros ("0xa1", Faucet's dp_id label), or as decimal
// ("161"). Nothing else counts, so a certificate issued for one switch
// cannot claim another's datapath.
func CertNamesDPID(cert *x509.Certificate, dpid uint64) bool {
	names := append([]string{cert.Subject.CommonName}, cert.DNSNames...)
	for _, n := range names {
		if nameIsDPID(n, dpid) {
			return true
		}
	}
	return false
}

func nameIsDPID(name string, dpid uint64) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case n == "":
		return false
	case strings.HasPrefix(n, "0x"):
		v, err := strconv.ParseUint(n[2:], 16, 64)
		return err == nil && v == dpid
	case len(n) == 16:
		v, err := strconv.ParseUint(n, 16, 64)
		return err == nil && v == dpid
	}
	v, err := strconv.ParseUint(n, 10, 64)
	return err == nil && v == dpid
}

// checkBinding enforces Server.BindDPID on a TLS connection after the
// features reply told the datapath id.
func (srv *Server) checkBinding(st *tls.ConnectionState, dpid uint64) error {
	if !srv.BindDPID || st == nil {
		return nil
	}
	if len(st.PeerCertificates) == 0 {
		return fmt.Errorf("%w %016x: no client certificate", ErrDPIDNotBound, dpid)
	}
	leaf := st.PeerCertificates[0]
	if !CertNamesDPID(leaf, dpid) {
		return fmt.Errorf("%w %016x (subject %q, DNS names %q)", ErrDPIDNotBound, dpid, leaf.Subject.CommonName, leaf.DNSNames)
	}
	return nil
}

// ServerTLSConfig builds the TLS configuration Faucet's --ctl-privkey,
// --ctl-cert and --ca-certs describe: the controller presents cert/key and
// every switch must present a certificate signed by one of the CAs in
// caFile (PEM). TLS 1.2 is the minimum (OVS speaks 1.2 and 1.3).
func ServerTLSConfig(certFile, keyFile, caFile string, load func(string) ([]byte, error)) (*tls.Config, error) {
	if certFile == "" || keyFile == "" || caFile == "" {
		return nil, errors.New("openflow tls: the controller certificate, its private key and the switches' CA certificates are all required")
	}
	certPEM, err := load(certFile)
	if err != nil {
		return nil, fmt.Errorf("openflow tls: certificate: %w", err)
	}
	keyPEM, err := load(keyFile)
	if err != nil {
		return nil, fmt.Errorf("openflow tls: private key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error of X509KeyPair never quotes key material.
		return nil, fmt.Errorf("openflow tls: %s and %s: %w", certFile, keyFile, err)
	}
	caPEM, err := load(caFile)
	if err != nil {
		return nil, fmt.Errorf("openflow tls: CA certificates: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("openflow tls: %s holds no PEM certificate", caFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}
