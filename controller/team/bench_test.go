package team

import (
	"slices"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/etcdlab"
)

// BenchmarkTakeover kills the master of one switch b.N times (its etcd
// connection cut and its liveness links closed, as by kill -9) and reports
// the median and p99 time until the standby is the switch's confirmed
// master. "link" is the default: a 4 s lease and the liveness link;
// "lease-1s" is the path without the link, where the lease's expiry moves
// the switch, with the shortest lease etcd allows. Run it with a fixed
// count:
//
//	go test -run '^$' -bench Takeover -benchtime 20x ./controller/team/
func BenchmarkTakeover(b *testing.B) {
	etcd := etcdlab.Start(b, 1)
	for _, c := range []struct {
		name string
		ttl  time.Duration
		link bool
	}{{"link", 0, true}, {"lease-1s", time.Second, false}} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for i := 0; b.Loop(); i++ {
				d := &fakeDP{id: uint64(i + 1)}
				x := startInstanceLink(b, "a", etcd.Endpoints(), c.ttl, c.link, d)
				y := startInstanceLink(b, "b", etcd.Endpoints(), c.ttl, c.link, d)
				waitFor(b, "master", 20*time.Second, func() bool { return d.masterName() != "" })
				// Steady state: the standby has queued behind the master.
				time.Sleep(time.Second)
				dead, other := x, y
				if d.masterName() == "b" {
					dead, other = y, x
				}
				killed := time.Now()
				dead.kill()
				waitFor(b, "master", 20*time.Second, func() bool { _, ok := other.promotedAt(d.id); return ok })
				at, _ := other.promotedAt(d.id)
				took = append(took, at.Sub(killed))
				other.stop()
			}
			slices.Sort(took)
			b.ReportMetric(took[len(took)/2].Seconds(), "median-s")
			b.ReportMetric(took[(len(took)*99)/100].Seconds(), "p99-s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
