package fault

import (
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/etcdlab"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// teamArgs puts a voipsdn process in team "t" as instance id.
func teamArgs(id string, endpoints ...string) []string {
	return []string{"--cluster-etcd", strings.Join(endpoints, ","), "--cluster-name", "t", "--instance-id", id, "--cluster-ttl", "1s"}
}

// flowKeys are a bridge's controller flows by what they are, with their
// ages.
func flowKeys(t *testing.T, lab *ovslab.Lab, bridge string) map[string]time.Duration {
	t.Helper()
	fs, err := lab.DumpFlows(bridge)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Duration{}
	for _, f := range fs {
		if f.Cookie != 0 {
			out[f.Text[strings.Index(f.Text, "table="):]+" cookie="+strings.Fields(f.Text)[0]] = f.Duration
		}
	}
	return out
}

// sameFlowsKept checks that the bridge holds the same flows as before and
// that none was re-added (its age kept growing).
func sameFlowsKept(t *testing.T, what string, before, after map[string]time.Duration) {
	t.Helper()
	if len(after) != len(before) {
		t.Errorf("%s: %d flows, before %d", what, len(after), len(before))
	}
	for k, d := range before {
		a, ok := after[k]
		switch {
		case !ok:
			t.Errorf("%s: flow gone: %s", what, k)
		case a < d:
			t.Errorf("%s: flow re-added (age %v, was %v): %s", what, a, d, k)
		}
	}
}

func logTime(t *testing.T, p *Proc, msg string) time.Time {
	t.Helper()
	v := p.logValue(msg, "time")
	tm, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("no %q in the log (%q):\n%s", msg, v, tail(p.Logs(), 30))
	}
	return tm
}

// A team of two voipsdn processes and one switch that lists both: one
// master programs the switch, the standby writes nothing. A master cut off
// from etcd stops writing before the other takes over; a master killed
// with SIGKILL is replaced once its lease expires. Neither takeover
// touches the switch's flows.
func TestTeamTakeover(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	lab := ovslab.New(t)
	proxy := etcdlab.NewProxy(t, strings.TrimPrefix(etcd.Endpoints()[0], "http://"))
	cfg := Config(1)
	a := Start(t, Options{Config: cfg, Args: teamArgs("a", "http://"+proxy.Addr())})
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+a.OFAddr)); err != nil {
		t.Fatal(err)
	}
	a.WaitMetric(t, "voipsdn_team_role", func(v float64) bool { return v == 1 })
	b := Start(t, Options{Config: cfg, Args: teamArgs("b", etcd.Endpoints()...)})
	if err := lab.SetController("sw1", "tcp:"+a.OFAddr, "tcp:"+b.OFAddr); err != nil {
		t.Fatal(err)
	}
	Eventually(t, 30*time.Second, "b's session", func() bool { return b.Metric(t, "voipsdn_team_role") == 0 })
	Eventually(t, 30*time.Second, "a's flows", func() bool { return ControllerFlows(t, lab, "sw1") > 0 })
	time.Sleep(2 * time.Second)
	if v := a.Metric(t, "voipsdn_team_role"); v != 1 {
		t.Fatalf("a's role %v after b joined; want it still master", v)
	}
	if v := b.Metric(t, "of_flowmsgs_sent_total"); v > 0 {
		t.Fatalf("standby b sent %v flow messages", v)
	}
	before := flowKeys(t, lab, "sw1")

	// Partition: a keeps its switch session but loses etcd.
	cut := time.Now()
	proxy.Cut()
	b.WaitMetric(t, "voipsdn_team_role", func(v float64) bool { return v == 1 })
	Eventually(t, 30*time.Second, "b's reconcile", func() bool { return b.LogContains("team: switch taken over") })
	fenced := logTime(t, a, "team lease no longer safe; stopped writing to every switch this instance was master of")
	won := logTime(t, b, "team: became master of the switch")
	t.Logf("partition: a stopped writing %v after the cut; b became master %v after it", fenced.Sub(cut), won.Sub(cut))
	if !fenced.Before(won) {
		t.Errorf("a stopped writing at %v, after b became master at %v", fenced, won)
	}
	if v := b.Metric(t, "of_flowmsgs_sent_total"); v > 0 {
		t.Errorf("b sent %v flow messages taking over an unchanged switch", v)
	}
	mid := flowKeys(t, lab, "sw1")
	sameFlowsKept(t, "after the partition", before, mid)
	proxy.Heal()
	Eventually(t, 30*time.Second, "a back as standby", func() bool {
		return a.LogContains("team lease granted") && strings.Count(a.Logs(), "team lease granted") >= 2
	})

	// kill -9 of the master b: a takes over.
	killed := time.Now()
	b.Kill()
	a.WaitMetric(t, "voipsdn_team_role", func(v float64) bool { return v == 1 })
	Eventually(t, 30*time.Second, "a's reconcile", func() bool { return strings.Count(a.Logs(), "team: switch taken over") >= 2 })
	var won2 time.Time
	for _, l := range strings.Split(a.Logs(), "\n") {
		if strings.Contains(l, "team: became master of the switch") {
			won2 = lineTime(l)
		}
	}
	t.Logf("kill -9: a became master %v after b was killed (lease TTL 1 s)", won2.Sub(killed))
	if won2.Sub(killed) > 5*time.Second {
		t.Errorf("takeover took %v", won2.Sub(killed))
	}
	sameFlowsKept(t, "after the kill", before, flowKeys(t, lab, "sw1"))
}

func lineTime(l string) time.Time {
	i := strings.Index(l, `"time":"`)
	if i < 0 {
		return time.Time{}
	}
	s := l[i+8:]
	s = s[:strings.IndexByte(s, '"')]
	tm, _ := time.Parse(time.RFC3339Nano, s)
	return tm
}
