package team

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/internal/etcdlab"
)

// With the default (long) lease TTL, a master that dies as by kill -9 is
// replaced as soon as its liveness link ends: the standby revokes its
// lease, long before the lease would have expired. Without the link the
// same kill waits for the expiry (at least 4/5 of the TTL after the last
// keepalive, over 3 s here).
func TestTeamLinkTakeoverBeforeLeaseExpiry(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d := &fakeDP{id: 0xb1}
	a := startInstance(t, "a", etcd.Endpoints(), 0, d)
	b := startInstance(t, "b", etcd.Endpoints(), 0, d)
	waitFor(t, "a master", 20*time.Second, func() bool { return d.masterName() != "" })
	dead, other := a, b
	if d.masterName() == "b" {
		dead, other = b, a
	}
	waitFor(t, "links up", 10*time.Second, func() bool { return linked(other, dead.name) })
	time.Sleep(time.Second) // the standby is queued (its rank's deferral is over)
	d.mu.Lock()
	gen1 := d.gen
	d.mu.Unlock()
	killed := time.Now()
	dead.kill()
	waitFor(t, "takeover", 20*time.Second, func() bool { _, ok := other.promotedAt(0xb1); return ok })
	at, _ := other.promotedAt(0xb1)
	t.Logf("takeover %v after the kill (lease TTL %v)", at.Sub(killed), DefaultTTL)
	// Generous: the lease alone cannot move the switch before 3.2 s.
	if took := at.Sub(killed); took > DefaultTTL/2 {
		t.Errorf("takeover took %v: the dead master's lease expired, the link did not revoke it", took)
	}
	if d.masterName() != other.name || d.gen <= gen1 {
		t.Fatalf("master %q gen %d after takeover (was %d)", d.masterName(), d.gen, gen1)
	}
}

// linked reports whether in's team has an established link to peer's
// listener (an outbound connection).
func linked(in *instance, _ string) bool {
	l := in.team.lk
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, inbound := range l.conns {
		if !inbound {
			return true
		}
	}
	return false
}

// A live master whose link ends (its process closed it but runs on) has
// its lease revoked by the standby. That is safe: the master's session
// ends and it fences itself, the standby claims the switch with a higher
// generation id, the switch refuses the old master's generation as stale,
// and the old master comes back as a standby on a new lease.
func TestTeamFalseRevocationIsSafe(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d := &fakeDP{id: 0xb2}
	a := startInstance(t, "a", etcd.Endpoints(), 0, d)
	waitFor(t, "a master", 20*time.Second, func() bool { return d.masterName() == "a" })
	b := startInstance(t, "b", etcd.Endpoints(), 0, d)
	waitFor(t, "b linked to a", 10*time.Second, func() bool { return linked(b, "a") })
	d.mu.Lock()
	oldGen, aSess := d.gen, d.master
	d.mu.Unlock()
	oldLease, _, _ := a.team.st.snapshot()

	a.team.lk.sever(false) // a drops its inbound links and runs on
	waitFor(t, "b master", 10*time.Second, func() bool { return d.masterName() == "b" })
	waitFor(t, "a demoted", 10*time.Second, func() bool { _, ok := a.demotedAt(0xb2); return ok })
	d.mu.Lock()
	newGen, fenced, ev := d.gen, aSess.fenced, strings.Join(d.events, "\n")
	d.mu.Unlock()
	t.Logf("switch events:\n%s", ev)
	if newGen <= oldGen || !fenced {
		t.Fatalf("generation %d -> %d, a fenced %v", oldGen, newGen, fenced)
	}
	if !strings.Contains(ev, "a demoted: etcd lease not safe") {
		t.Errorf("a did not fence itself when its lease was revoked:\n%s", ev)
	}
	if _, _, err := aSess.RequestRole(context.Background(), controller.RoleMaster, oldGen); !errors.Is(err, controller.ErrRoleStale) {
		t.Fatalf("a's MASTER request with generation %d: %v, want stale", oldGen, err)
	}
	// a comes back on a new lease, as a standby: no preemption.
	waitFor(t, "a's new lease", 10*time.Second, func() bool {
		ep, _, _ := a.team.st.snapshot()
		return ep != nil && ep != oldLease
	})
	time.Sleep(time.Second)
	if d.masterName() != "b" || a.team.IsMaster(0xb2) {
		t.Fatalf("master %q, a master %v", d.masterName(), a.team.IsMaster(0xb2))
	}
}

// A graceful shutdown resigns: without a liveness link and with the
// default TTL, the standby takes over at once, not when the lease expires.
func TestTeamShutdownResignsAtOnce(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d := &fakeDP{id: 0xb3}
	a := startInstanceLink(t, "a", etcd.Endpoints(), 0, false, d)
	waitFor(t, "a master", 20*time.Second, func() bool { return d.masterName() == "a" })
	b := startInstanceLink(t, "b", etcd.Endpoints(), 0, false, d)
	time.Sleep(500 * time.Millisecond)
	stopped := time.Now()
	a.stop()
	waitFor(t, "b master", 20*time.Second, func() bool { _, ok := b.promotedAt(0xb3); return ok })
	at, _ := b.promotedAt(0xb3)
	t.Logf("takeover %v after the shutdown began", at.Sub(stopped))
	if at.Sub(stopped) > DefaultTTL/2 {
		t.Errorf("takeover took %v: the master did not resign", at.Sub(stopped))
	}
}

// The observer acts only on a link whose hello named the cluster, the
// instance and the lease it published (and proved the token); only the
// end of such a link by EOF or RST is a death.
func TestLinkHello(t *testing.T) {
	rec := func(addr string) instanceRecord { return instanceRecord{Lease: 0x1234, Addr: addr} }
	cases := []struct {
		name  string
		reply linkReply
		token string // the listener's token ("" none)
		rst   bool   // end with RST rather than FIN
		quiet bool   // never end: the test times out the link instead
		want  bool   // errPeerClosed
	}{
		{name: "right peer, FIN", reply: linkReply{Cluster: "c", Instance: "p", Lease: 0x1234}, want: true},
		{name: "right peer, RST", reply: linkReply{Cluster: "c", Instance: "p", Lease: 0x1234}, rst: true, want: true},
		{name: "right peer, goes quiet", reply: linkReply{Cluster: "c", Instance: "p", Lease: 0x1234}, quiet: true},
		{name: "other lease", reply: linkReply{Cluster: "c", Instance: "p", Lease: 0x9999}},
		{name: "other instance", reply: linkReply{Cluster: "c", Instance: "q", Lease: 0x1234}},
		{name: "other cluster", reply: linkReply{Cluster: "d", Instance: "p", Lease: 0x1234}},
		{name: "no token proof", reply: linkReply{Cluster: "c", Instance: "p", Lease: 0x1234}, token: "-"},
		{name: "wrong token", reply: linkReply{Cluster: "c", Instance: "p", Lease: 0x1234}, token: "guess"},
		{name: "token proved", reply: linkReply{Cluster: "c", Instance: "p", Lease: 0x1234}, token: "secret", want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				var h linkHello
				if readLine(bufio.NewReader(c), &h) != nil {
					return
				}
				r := tc.reply
				if tc.token != "" && tc.token != "-" {
					r.MAC = (&Team{cfg: Config{LinkToken: []byte(tc.token)}}).linkMAC(h.Nonce, r)
				}
				b, _ := json.Marshal(r)
				_, _ = c.Write(append(b, '\n'))
				if tc.quiet {
					time.Sleep(time.Second)
				}
				if tc.rst {
					_ = c.(*net.TCPConn).SetLinger(0)
				}
			}()
			obs := &Team{cfg: Config{Cluster: "c", Instance: "o"}, ttl: time.Second,
				log: slog.New(slog.DiscardHandler), lk: &links{conns: map[net.Conn]bool{}}}
			if tc.token != "" {
				obs.cfg.LinkToken = []byte("secret")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			err = obs.link(ctx, "p", rec(ln.Addr().String()))
			if got := errors.Is(err, errPeerClosed); got != tc.want {
				t.Fatalf("link ended with %v; want peer closed %v", err, tc.want)
			}
		})
	}
}

// A standby cut off from etcd while it campaigns still shuts down: the
// campaign's own clean-up waits for etcd, the shutdown does not.
func TestTeamStandbyStopsWithoutEtcd(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d := &fakeDP{id: 0xb4}
	startInstance(t, "a", etcd.Endpoints(), 0, d)
	waitFor(t, "a master", 20*time.Second, func() bool { return d.masterName() == "a" })
	b := startInstance(t, "b", etcd.Endpoints(), 0, d)
	time.Sleep(time.Second) // b queues behind a
	// b's way to etcd closes and is refused from then on; its campaign
	// keeps waiting (the client's watch retries), and then b is told to
	// stop.
	b.proxy.Cut()
	time.Sleep(200 * time.Millisecond)
	b.cancel()
	select {
	case <-b.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the standby did not stop within 20 s of its shutdown with etcd unreachable")
	}
}
