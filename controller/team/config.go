package team

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// DefaultTTL is the lease TTL when Config.TTL is 0: long enough to ride
// out an etcd leader election with etcd's default timings (docs/cluster.md).
const DefaultTTL = 4 * time.Second

// Config is how an instance joins its team.
type Config struct {
	// Endpoints are the etcd client URLs (http://host:2379 or https://...).
	Endpoints []string
	// Cluster names the team: instances with the same Cluster share DPs.
	Cluster string
	// Instance identifies this instance; unique in the team and stable
	// across restarts (it picks the DPs the instance prefers).
	Instance string
	// TTL is the lease's time to live (default 4 s, at least 1 s: etcd
	// counts in seconds). A master cut off from etcd stops writing after
	// 2/3 of it, so it must outlast an etcd leader election; a master
	// whose process dies is detected at once by the liveness link
	// (Listen), else its DPs move after at most TTL. The etcd server must
	// allow it: its minimum TTL is 1.5 × its election timeout
	// (docs/cluster.md).
	TTL time.Duration
	// Listen is the liveness link's listen address (liveness.go); ""
	// turns the link off. Peers dial Advertise, by default the
	// listener's address, or, listening on every interface, this host's
	// address toward the first etcd endpoint.
	Listen, Advertise string
	// LinkToken, if set, is a secret every instance shares: a peer's
	// hello must prove it knows it before its link's end may revoke
	// anything. Never logged.
	LinkToken []byte
	// DeferStep is how long an instance waits per rank before campaigning
	// for a DP (default 500 ms, or TTL/2 if less): long enough for the
	// preferred instance to queue first, and no longer, since a standby
	// still deferring when the master dies adds its wait to the takeover.
	DeferStep time.Duration
	// TLS for etcd (CA, client certificate and key); nil uses none.
	CAFile, CertFile, KeyFile string
	// Username and Password authenticate to etcd; the password is never
	// logged.
	Username, Password string
	// DialTimeout bounds connecting to etcd (default 5 s).
	DialTimeout time.Duration
}

// Validate checks c; a Config with no Endpoints is "no team".
func (c Config) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New("team: no etcd endpoints")
	}
	if !validName(c.Cluster) {
		return fmt.Errorf("team: cluster name %q: want 1-64 letters, digits, '-', '_' or '.'", c.Cluster)
	}
	if !validName(c.Instance) {
		return fmt.Errorf("team: instance id %q: want 1-64 letters, digits, '-', '_' or '.'", c.Instance)
	}
	if c.TTL != 0 && c.TTL < time.Second {
		return fmt.Errorf("team: lease TTL %v is under etcd's 1 s granularity", c.TTL)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("team: etcd client certificate and key go together")
	}
	if c.Advertise != "" && c.Listen == "" {
		return errors.New("team: an advertised link address without a listen address")
	}
	if c.Password != "" && c.Username == "" {
		return errors.New("team: etcd password without a user name")
	}
	return nil
}

func (c Config) ttl() time.Duration {
	if c.TTL == 0 {
		return DefaultTTL
	}
	return c.TTL
}

func (c Config) deferStep() time.Duration {
	if c.DeferStep == 0 {
		return min(500*time.Millisecond, c.ttl()/2)
	}
	return c.DeferStep
}

// SplitEndpoints splits a comma-separated endpoint list.
func SplitEndpoints(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Client connects to etcd as c says. It does not wait for etcd to answer:
// requests retry until their contexts end.
func (c Config) Client() (*clientv3.Client, error) {
	cc := clientv3.Config{
		Endpoints:   c.Endpoints,
		DialTimeout: c.DialTimeout,
		Username:    c.Username,
		Password:    c.Password,
		// etcd's client logs through zap; its retries are noise here
		// and the team logs what matters.
		Logger:               zap.NewNop(),
		DialKeepAliveTime:    c.ttl(),
		DialKeepAliveTimeout: c.ttl(),
	}
	if cc.DialTimeout == 0 {
		cc.DialTimeout = 5 * time.Second
	}
	if c.CAFile != "" || c.CertFile != "" {
		t := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("team: etcd CA: %w", err)
			}
			t.RootCAs = x509.NewCertPool()
			if !t.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("team: etcd CA %s: no certificate", c.CAFile)
			}
		}
		if c.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("team: etcd client certificate: %w", err)
			}
			t.Certificates = []tls.Certificate{cert}
		}
		cc.TLS = t
	}
	cl, err := clientv3.New(cc)
	if err != nil {
		return nil, fmt.Errorf("team: etcd client: %w", err)
	}
	return cl, nil
}
