package team

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The liveness link lets a team notice a dead instance at once instead of
// after its lease's TTL. Every instance listens on a team address and
// publishes {lease id, address} under /voipsdn/<cluster>/instances/<id>,
// on that lease. Every instance keeps one TCP connection to each other
// instance's published address. When the kernel of a killed process
// closes its sockets, the connection ends with EOF or RST, and the
// observer revokes the lease that peer published: its election keys go
// with it and the next candidate wins at once. A connection that merely
// goes quiet (a partition, a dead host) revokes nothing: lease expiry
// handles those, as without the link.
//
// Trust: etcd is the root of trust. An observer only dials addresses read
// from etcd, only acts on a connection whose hello named the cluster, the
// instance and the very lease that instance published (and, with a link
// token, proved it knows the token), and the only thing it ever does is
// revoke that lease. The listening side acts on nothing it receives. A
// revocation of a live instance is safe: its session ends, it fences itself,
// and the switch demotes it when the new master claims it with a higher
// generation id (docs/cluster.md).

const (
	linkHelloMax     = 1024
	linkHelloTimeout = 2 * time.Second
	linkMaxInbound   = 256
)

// instanceRecord is what an instance publishes under its instance key.
type instanceRecord struct {
	Lease int64  `json:"lease"`
	Addr  string `json:"addr,omitempty"`
}

// linkHello is the dialer's first line.
type linkHello struct {
	Cluster string `json:"cluster"`
	From    string `json:"from"`
	Nonce   string `json:"nonce"`
}

// linkReply is the listener's answer.
type linkReply struct {
	Cluster  string `json:"cluster"`
	Instance string `json:"instance"`
	Lease    int64  `json:"lease"`
	MAC      string `json:"mac,omitempty"`
}

// links is one instance's side of the liveness links: the listener and
// every connection, inbound and outbound, so that they can be closed
// together.
type links struct {
	ln    net.Listener
	addr  string // what peers dial
	mu    sync.Mutex
	conns map[net.Conn]bool // true: inbound
	wg    sync.WaitGroup
}

// listenLinks opens the team listener and works out the address peers
// dial: Config.Advertise, else the listener's address, else (listening on
// every interface) this host's address toward the first etcd endpoint.
func listenLinks(c Config) (*links, error) {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("team: listen %s: %w", c.Listen, err)
	}
	addr := c.Advertise
	if addr == "" {
		addr, err = advertised(ln.Addr().(*net.TCPAddr), c.Endpoints)
		if err != nil {
			ln.Close()
			return nil, err
		}
	}
	return &links{ln: ln, addr: addr, conns: map[net.Conn]bool{}}, nil
}

func advertised(la *net.TCPAddr, endpoints []string) (string, error) {
	if !la.IP.IsUnspecified() {
		return la.String(), nil
	}
	port := strconv.Itoa(la.Port)
	for _, ep := range endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" {
			continue
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "2379")
		}
		// A UDP "connection" sends nothing; it only picks the route.
		c, err := net.Dial("udp", host)
		if err != nil {
			continue
		}
		ip := c.LocalAddr().(*net.UDPAddr).IP
		c.Close()
		return net.JoinHostPort(ip.String(), port), nil
	}
	return "", errors.New("team: cannot tell which address peers reach this instance at; set --cluster-advertise")
}

func (l *links) track(c net.Conn, inbound bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns == nil {
		return false // closed
	}
	if inbound {
		n := 0
		for _, in := range l.conns {
			if in {
				n++
			}
		}
		if n >= linkMaxInbound {
			return false
		}
	}
	l.conns[c] = inbound
	return true
}

func (l *links) untrack(c net.Conn) {
	l.mu.Lock()
	if l.conns != nil {
		delete(l.conns, c)
	}
	l.mu.Unlock()
	c.Close()
}

// sever closes the links as a process's death would: every inbound one,
// and with all also the listener and the outbound ones, for good.
func (l *links) sever(all bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c, in := range l.conns {
		if in || all {
			c.Close()
			delete(l.conns, c)
		}
	}
	if all {
		l.ln.Close()
		l.conns = nil
	}
}

// runLinks serves the listener and follows the peers until ctx ends.
func (t *Team) runLinks(ctx context.Context) {
	l := t.lk
	stop := context.AfterFunc(ctx, func() { l.sever(true) })
	defer stop()
	l.wg.Go(func() { t.watchPeers(ctx) })
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			sleep(ctx, 50*time.Millisecond)
			continue
		}
		if !l.track(c, true) {
			c.Close()
			continue
		}
		l.wg.Go(func() { t.answer(c) })
	}
	l.sever(true)
	l.wg.Wait()
}

// answer replies to one peer's hello and holds the connection open; its
// end is what the peer watches. Nothing the peer sends causes anything.
func (t *Team) answer(c net.Conn) {
	defer t.lk.untrack(c)
	_ = c.SetDeadline(time.Now().Add(linkHelloTimeout))
	var h linkHello
	if err := readLine(bufio.NewReaderSize(c, linkHelloMax), &h); err != nil || h.Cluster != t.cfg.Cluster {
		t.log.Debug("team link: bad hello", "remote", c.RemoteAddr().String(), "err", err)
		return
	}
	var lease int64
	if ep, _, _ := t.st.snapshot(); ep != nil {
		lease = int64(ep.id)
	}
	r := linkReply{Cluster: t.cfg.Cluster, Instance: t.cfg.Instance, Lease: lease}
	r.MAC = t.linkMAC(h.Nonce, r)
	b, _ := json.Marshal(r)
	if _, err := c.Write(append(b, '\n')); err != nil {
		return
	}
	_ = c.SetDeadline(time.Time{})
	_, _ = io.Copy(io.Discard, c)
}

// linkMAC proves knowledge of the link token; "" without one.
func (t *Team) linkMAC(nonce string, r linkReply) string {
	if len(t.cfg.LinkToken) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, t.cfg.LinkToken)
	fmt.Fprintf(m, "voipsdn-team-link\x00%s\x00%s\x00%s\x00%d", nonce, r.Cluster, r.Instance, r.Lease)
	return hex.EncodeToString(m.Sum(nil))
}

func readLine(r *bufio.Reader, v any) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return errors.New("hello too long")
		}
		return err
	}
	return json.Unmarshal(line, v)
}

// peer is one followed instance.
type peer struct {
	rec    instanceRecord
	cancel context.CancelFunc
}

// watchPeers follows the instance records and keeps one link per other
// instance that publishes an address, redialling when its record changes.
func (t *Team) watchPeers(ctx context.Context) {
	prefix := instancesPrefix(t.cfg.Cluster)
	peers := map[string]*peer{}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer func() {
		for _, p := range peers {
			p.cancel()
		}
	}()
	set := func(id string, rec *instanceRecord) {
		p := peers[id]
		if p != nil && rec != nil && p.rec == *rec {
			return
		}
		if p != nil {
			p.cancel() // the record changed: a new lease, or gone
			delete(peers, id)
		}
		if rec == nil || rec.Addr == "" || rec.Lease == 0 || id == t.cfg.Instance {
			return
		}
		pctx, cancel := context.WithCancel(ctx)
		peers[id] = &peer{rec: *rec, cancel: cancel}
		r := *rec
		wg.Go(func() { t.follow(pctx, id, r) })
	}
	for ctx.Err() == nil {
		r, err := t.cl.Get(ctx, prefix, clientv3.WithPrefix())
		if err != nil {
			sleep(ctx, t.ttl/4)
			continue
		}
		seen := map[string]bool{}
		for _, kv := range r.Kvs {
			id := strings.TrimPrefix(string(kv.Key), prefix)
			var rec instanceRecord
			if json.Unmarshal(kv.Value, &rec) != nil {
				continue
			}
			seen[id] = true
			set(id, &rec)
		}
		for id := range peers {
			if !seen[id] {
				set(id, nil)
			}
		}
		wch := t.cl.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(r.Header.Revision+1))
		for wr := range wch {
			if wr.Err() != nil {
				break
			}
			for _, ev := range wr.Events {
				id := strings.TrimPrefix(string(ev.Kv.Key), prefix)
				var rec instanceRecord
				if ev.Type == clientv3.EventTypeDelete || json.Unmarshal(ev.Kv.Value, &rec) != nil {
					set(id, nil)
					continue
				}
				set(id, &rec)
			}
		}
		sleep(ctx, t.ttl/4)
	}
}

// follow keeps a link to one peer until ctx ends (its record changed or
// the team stops). When an established link ends with EOF or RST, the peer
// died: revoke the lease it published.
func (t *Team) follow(ctx context.Context, id string, rec instanceRecord) {
	log := t.log.With("peer", id, "peer_lease", rec.Lease, "peer_addr", rec.Addr)
	for ctx.Err() == nil {
		err := t.link(ctx, id, rec)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errPeerClosed) {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.ttl)
			_, rerr := t.cl.Revoke(rctx, clientv3.LeaseID(rec.Lease))
			cancel()
			log.Warn("team: link to a peer closed by its host; revoked its lease so that its switches move at once", "err", rerr)
		} else {
			log.Debug("team link down", "err", err)
		}
		sleep(ctx, t.ttl/4)
	}
}

var errPeerClosed = errors.New("peer closed the link")

// link dials the peer, checks its hello and waits for the connection's
// end. It returns errPeerClosed only for an established link that ended
// with EOF or RST.
func (t *Team) link(ctx context.Context, id string, rec instanceRecord) error {
	d := net.Dialer{Timeout: t.ttl, KeepAliveConfig: net.KeepAliveConfig{Enable: true,
		Idle: t.ttl, Interval: t.ttl / 3, Count: 3}}
	c, err := d.DialContext(ctx, "tcp", rec.Addr)
	if err != nil {
		return err
	}
	if !t.lk.track(c, false) {
		c.Close()
		return net.ErrClosed
	}
	defer t.lk.untrack(c)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	h := linkHello{Cluster: t.cfg.Cluster, From: t.cfg.Instance, Nonce: hex.EncodeToString(nonce)}
	b, _ := json.Marshal(h)
	_ = c.SetDeadline(time.Now().Add(linkHelloTimeout))
	if _, err := c.Write(append(b, '\n')); err != nil {
		return err
	}
	br := bufio.NewReaderSize(c, linkHelloMax)
	var r linkReply
	if err := readLine(br, &r); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	switch {
	case r.Cluster != t.cfg.Cluster || r.Instance != id:
		return fmt.Errorf("hello from %s/%s, want %s/%s", r.Cluster, r.Instance, t.cfg.Cluster, id)
	case r.Lease != rec.Lease:
		return fmt.Errorf("peer holds lease %x, published %x", r.Lease, rec.Lease)
	case len(t.cfg.LinkToken) > 0 && !hmac.Equal([]byte(r.MAC), []byte(t.linkMAC(h.Nonce, r))):
		return errors.New("peer does not know the link token")
	}
	_ = c.SetDeadline(time.Time{})
	t.log.Info("team: liveness link up", "peer", id, "peer_lease", rec.Lease, "peer_addr", rec.Addr)
	_, err = io.Copy(io.Discard, br)
	if err == nil || errors.Is(err, syscall.ECONNRESET) {
		return errPeerClosed // io.Copy reports EOF as nil
	}
	return err
}
