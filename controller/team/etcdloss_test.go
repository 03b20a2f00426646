package team

import (
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/etcdlab"
)

// eventsOf returns the switch's role events so far.
func eventsOf(d *fakeDP) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.events, "\n")
}

// Losing one member of three leaves quorum: no lease is lost, no role
// changes, nothing is written.
func TestTeamSurvivesMemberLoss(t *testing.T) {
	etcd := etcdlab.Start(t, 3)
	d := &fakeDP{id: 0xa1}
	// The default TTL outlasts an etcd leader election (500 ms to 1 s
	// with etcdlab's timings) with room to spare: 4 s, fenced after
	// 2.7 s without an answer. The liveness links stay up meanwhile.
	startInstance(t, "a", etcd.Endpoints(), 0, d)
	startInstance(t, "b", etcd.Endpoints(), 0, d)
	waitFor(t, "a master", 10*time.Second, func() bool { return d.masterName() != "" })
	time.Sleep(time.Second)
	before := eventsOf(d)
	// Kill the member that leads the etcd cluster, the worst case: a
	// new etcd leader is elected while the leases live on.
	for i := range 3 {
		etcd.Member(i).Kill()
		time.Sleep(3 * time.Second)
		if after := eventsOf(d); after != before {
			t.Fatalf("role changes after losing etcd member %d:\nbefore:\n%s\nafter:\n%s", i, before, after)
		}
		if err := etcd.Member(i).Start(); err != nil {
			t.Fatal(err)
		}
		if err := etcd.Member(i).WaitHealthy(30 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// Restarting a one-member etcd within 2/3 of the lease TTL changes no
// role: the leases live on (etcd extends them when it comes back) and
// every keepalive in between is answered in time.
func TestTeamSurvivesEtcdRestart(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	d := &fakeDP{id: 0xa1}
	startInstance(t, "a", etcd.Endpoints(), 0, d) // the default TTL, 4 s
	startInstance(t, "b", etcd.Endpoints(), 0, d)
	waitFor(t, "a master", 20*time.Second, func() bool { return d.masterName() != "" })
	time.Sleep(time.Second)
	before := eventsOf(d)
	start := time.Now()
	if err := etcd.Member(0).Restart(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	down := time.Since(start)
	time.Sleep(5 * time.Second)
	after := eventsOf(d)
	t.Logf("etcd down for %v", down)
	if down < 2500*time.Millisecond && after != before {
		t.Fatalf("role changes after an etcd restart of %v:\nbefore:\n%s\nafter:\n%s", down, before, after)
	}
	if down >= 2500*time.Millisecond {
		t.Logf("etcd took %v to restart, over 2/3 of the TTL; role changes allowed:\n%s", down, after)
	}
}
