package team

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/internal/etcdlab"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// instance is one team member in a test, with its own etcd client.
type instance struct {
	t        testing.TB
	name     string
	cl       *clientv3.Client
	team     *Team
	cancel   context.CancelFunc
	done     chan struct{}
	proxy    *etcdlab.Proxy
	mu       sync.Mutex
	promoted map[uint64]time.Time
	demoted  map[uint64]time.Time
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("TEAM_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// startInstance starts an instance with a liveness link on loopback.
func startInstance(t testing.TB, name string, endpoints []string, ttl time.Duration, dp ...*fakeDP) *instance {
	t.Helper()
	return startInstanceLink(t, name, endpoints, ttl, true, dp...)
}

func startInstanceLink(t testing.TB, name string, endpoints []string, ttl time.Duration, link bool, dp ...*fakeDP) *instance {
	t.Helper()
	// Every instance reaches etcd through its own proxy, so that a test
	// can cut it off or make it vanish.
	proxy := etcdlab.NewProxy(t, strings.TrimPrefix(endpoints[0], "http://"))
	cfg := Config{Endpoints: []string{"http://" + proxy.Addr()}, Cluster: "test", Instance: name, TTL: ttl}
	if len(endpoints) > 1 {
		cfg.Endpoints = endpoints // a multi-member cluster is reached directly
	}
	if link {
		cfg.Listen = "127.0.0.1:0"
	}
	cl, err := cfg.Client()
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{t: t, name: name, cl: cl, done: make(chan struct{}), proxy: proxy,
		promoted: map[uint64]time.Time{}, demoted: map[uint64]time.Time{}}
	in.team, err = New(Options{Config: cfg, Client: cl, Logger: testLogger(t).With("i", name),
		Promote: func(_ context.Context, sw Switch) {
			in.mu.Lock()
			in.promoted[sw.DPID()] = time.Now()
			in.mu.Unlock()
			sw.(*fakeSession).dp.note(name + " promoted")
		},
		Demote: func(dpid uint64, why string) {
			in.mu.Lock()
			in.demoted[dpid] = time.Now()
			in.mu.Unlock()
			for _, d := range dp {
				if d.id == dpid {
					d.note(name + " demoted: " + why)
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { _ = in.team.Run(ctx); close(in.done) }()
	for _, d := range dp {
		in.team.Attach(ctx, &fakeSession{dp: d, name: name})
	}
	t.Cleanup(in.stop)
	return in
}

// stop shuts the instance down cleanly (resign and revoke).
func (in *instance) stop() {
	in.cancel()
	<-in.done
	in.cl.Close()
}

// kill makes the instance vanish without a word to etcd, as kill -9 does:
// its connection to etcd is cut first, so its lease is not revoked by
// itself, and its liveness links close at once, as the kernel closes a
// dead process's sockets.
func (in *instance) kill() {
	in.proxy.Cut()
	if in.team.lk != nil {
		in.team.lk.sever(true)
	}
	in.cancel()
	<-in.done
	in.cl.Close()
}

func (in *instance) promotedAt(dpid uint64) (time.Time, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	t, ok := in.promoted[dpid]
	return t, ok
}

func (in *instance) demotedAt(dpid uint64) (time.Time, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	t, ok := in.demoted[dpid]
	return t, ok
}

func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two instances, one switch: one master; when it dies without a word, the
// other takes over with a higher generation id once the lease expires.
func TestTeamOneMasterAndTakeover(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d := &fakeDP{id: 0xa1}
	a := startInstance(t, "a", etcd.Endpoints(), time.Second, d)
	b := startInstance(t, "b", etcd.Endpoints(), time.Second, d)
	waitFor(t, "a master", 10*time.Second, func() bool { return d.masterName() != "" })
	time.Sleep(2 * time.Second) // nothing moves while both live
	first := d.masterName()
	d.mu.Lock()
	gen1, ev := d.gen, strings.Join(d.events, "\n")
	d.mu.Unlock()
	if strings.Count(ev, " master ") != 1 {
		t.Fatalf("want exactly one MASTER request while both live:\n%s", ev)
	}
	dead, other := a, b
	if first == "b" {
		dead, other = b, a
	}
	killed := time.Now()
	dead.kill()
	waitFor(t, "takeover", 10*time.Second, func() bool { _, ok := other.promotedAt(0xa1); return ok })
	at, _ := other.promotedAt(0xa1)
	t.Logf("takeover %v after the master vanished (lease TTL 1 s)", at.Sub(killed))
	if at.Sub(killed) > 3*time.Second {
		t.Errorf("takeover took %v", at.Sub(killed))
	}
	if d.masterName() != other.name || d.gen <= gen1 {
		t.Fatalf("master %q gen %d after takeover (was %d)", d.masterName(), d.gen, gen1)
	}
}

// A master cut off from etcd while its switch stays connected stops
// writing before another instance claims the switch, and its later MASTER
// request with its old generation id is refused as stale.
func TestTeamPartitionedMasterFencedFirst(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d := &fakeDP{id: 0xa1}
	a := startInstance(t, "a", etcd.Endpoints(), time.Second, d)
	waitFor(t, "a master", 10*time.Second, func() bool { return d.masterName() == "a" })
	b := startInstance(t, "b", etcd.Endpoints(), time.Second, d)
	time.Sleep(time.Second)
	d.mu.Lock()
	oldGen := d.gen
	var aSess *fakeSession = d.master
	d.mu.Unlock()

	cut := time.Now()
	a.proxy.Cut()
	waitFor(t, "b master", 10*time.Second, func() bool { return d.masterName() == "b" })
	fenced, ok := a.demotedAt(0xa1)
	promoted, _ := b.promotedAt(0xa1)
	if !ok || !fenced.Before(promoted) {
		t.Fatalf("a fenced at %v (%v), b promoted at %v", fenced.Sub(cut), ok, promoted.Sub(cut))
	}
	t.Logf("partition: a stopped writing %v after the cut, b took over %v after it", fenced.Sub(cut), promoted.Sub(cut))
	_, _, err := aSess.RequestRole(context.Background(), controller.RoleMaster, oldGen)
	if !errors.Is(err, controller.ErrRoleStale) {
		t.Fatalf("a's MASTER request with generation %d: %v, want stale", oldGen, err)
	}
	d.mu.Lock()
	t.Logf("switch events:\n%s", strings.Join(d.events, "\n"))
	d.mu.Unlock()
}

// Drain moves mastership off an instance at once; status shows it.
func TestTeamDrainAndStatus(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d1, d2 := &fakeDP{id: 1}, &fakeDP{id: 2}
	a := startInstance(t, "a", etcd.Endpoints(), time.Second, d1, d2)
	waitFor(t, "a master of both", 10*time.Second, func() bool { return d1.masterName() == "a" && d2.masterName() == "a" })
	startInstance(t, "b", etcd.Endpoints(), time.Second, d1, d2)
	ctx := context.Background()
	time.Sleep(500 * time.Millisecond)
	if err := Drain(ctx, a.cl, "test", "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b master of both", 5*time.Second, func() bool { return d1.masterName() == "b" && d2.masterName() == "b" })
	st, err := ReadStatus(ctx, a.cl, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.DPs) != 2 || st.DPs[0].Master != "b" || st.DPs[1].Master != "b" {
		t.Fatalf("status DPs %+v", st.DPs)
	}
	if len(st.Members) != 2 || !st.Members[0].Draining || st.Members[1].Draining || st.Members[0].Granted < time.Second ||
		st.Members[0].Link != a.team.LinkAddr() || st.Members[0].Link == "" {
		t.Fatalf("status members %+v", st.Members)
	}
	if len(st.Endpoints) != 1 || st.Endpoints[0].Err != "" || !st.Endpoints[0].Leader {
		t.Fatalf("status endpoints %+v", st.Endpoints)
	}
	if err := Undrain(ctx, a.cl, "test", "a"); err != nil {
		t.Fatal(err)
	}
	// Undrained, a queues again but b keeps both: no preemption.
	time.Sleep(2 * time.Second)
	if d1.masterName() != "b" || d2.masterName() != "b" {
		t.Fatalf("masters %q %q after undrain", d1.masterName(), d2.masterName())
	}
}

// Rendezvous ranks spread DPs over instances, and removing an instance
// moves only the DPs it preferred.
func TestRankSpreads(t *testing.T) {
	members := []string{"a", "b", "c"}
	count := map[string]int{}
	first := map[uint64]string{}
	for id := uint64(1); id <= 300; id++ {
		for _, m := range members {
			if rank(id, m, members) == 0 {
				count[m]++
				first[id] = m
			}
		}
	}
	for _, m := range members {
		if count[m] < 70 {
			t.Errorf("instance %s preferred for %d of 300 DPs", m, count[m])
		}
	}
	for id := uint64(1); id <= 300; id++ {
		if first[id] == "c" {
			continue
		}
		if rank(id, first[id], []string{"a", "b"}) != 0 {
			t.Fatalf("dp %d moved off %s when c left", id, first[id])
		}
	}
}
