package team

import (
	"slices"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/etcdlab"
)

// BenchmarkTakeover kills the master of one switch b.N times (its etcd
// connection cut, as by kill -9) and reports the median and p99 time until
// the standby is the switch's confirmed master. Run it with a fixed count:
//
//	go test -run '^$' -bench Takeover -benchtime 20x ./controller/team/
func BenchmarkTakeover(b *testing.B) {
	etcd := etcdlab.Start(b, 1)
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		d := &fakeDP{id: uint64(i + 1)}
		x := startInstance(b, "a", etcd.Endpoints(), time.Second, d)
		y := startInstance(b, "b", etcd.Endpoints(), time.Second, d)
		waitFor(b, "master", 20*time.Second, func() bool { return d.masterName() != "" })
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
}
