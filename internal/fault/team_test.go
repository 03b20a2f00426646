package fault

import (
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/etcdlab"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// teamArgs puts a voipsdn process in team "t" as instance id, with the
// default lease TTL (4 s) and its liveness link on loopback.
func teamArgs(id string, endpoints ...string) []string {
	return []string{"--cluster-etcd", strings.Join(endpoints, ","), "--cluster-name", "t", "--instance-id", id,
		"--cluster-listen", "127.0.0.1:0"}
}

// strayCookie marks a flow no instance wants: the first flow-mod of a new
// master's reconcile deletes it.
const strayCookie = 0x5eed

func addStray(t *testing.T, lab *ovslab.Lab, bridge string) {
	t.Helper()
	if err := lab.AddFlow(bridge, "table=0,priority=1,cookie=0x5eed,dl_type=0x88b5,actions=drop"); err != nil {
		t.Fatal(err)
	}
}

// waitStrayGone waits until the stray flow is gone and returns when it was
// first seen gone (each look forks ovs-ofctl, so on a busy machine this
// can trail the deletion by hundreds of milliseconds).
func waitStrayGone(t *testing.T, lab *ovslab.Lab, bridge string) time.Time {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		fs, err := lab.DumpFlows(bridge)
		if err != nil {
			t.Fatal(err)
		}
		gone := true
		for _, f := range fs {
			if f.Cookie == strayCookie {
				gone = false
			}
		}
		if gone {
			return time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the stray flow was never deleted: no new master wrote to the switch")
	return time.Time{}
}

// linkedTo reports whether p has logged a liveness link up to peer.
func linkedTo(p *Proc, peer string) bool {
	for _, l := range strings.Split(p.Logs(), "\n") {
		if strings.Contains(l, "team: liveness link up") && strings.Contains(l, `"peer":"`+peer+`"`) {
			return true
		}
	}
	return false
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
// from etcd stops writing before the other takes over (its liveness link
// stays up, and revokes nothing); a master killed with SIGKILL is replaced
// within a second, through the liveness link; a master stopped with
// SIGTERM resigns. No takeover touches the switch's controller flows.
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

	// kill -9 of the master b: its liveness link to a ends as the kernel
	// closes its sockets, a revokes b's lease and takes over, long before
	// the 4 s lease would expire. A stray flow added just before the kill
	// is what the new master's first flow-mod deletes.
	Eventually(t, 30*time.Second, "a linked to b", func() bool { return linkedTo(a, "b") })
	time.Sleep(time.Second) // a has queued behind b
	addStray(t, lab, "sw1")
	killed := time.Now()
	b.Kill()
	seen := waitStrayGone(t, lab, "sw1")
	Eventually(t, 30*time.Second, "a's reconcile", func() bool { return strings.Count(a.Logs(), "team: switch taken over") >= 2 })
	won2 := lastLogTime(a, "team: became master of the switch")
	// "switch in sync" follows the barrier after the reconcile's
	// flow-mods (the stray's deletion): the switch has applied them.
	synced := lastLogTime(a, "switch in sync")
	t.Logf("kill -9: a became master %v, its first flow-mod was applied %v after b was killed (lease TTL 4 s); the stray was seen gone by polling ovs-ofctl %v after",
		won2.Sub(killed), synced.Sub(killed), seen.Sub(killed))
	if synced.Sub(killed) > time.Second {
		t.Errorf("takeover (kill to the new master's first flow-mod applied) took %v", synced.Sub(killed))
	}
	if !a.LogContains("revoked its lease") {
		t.Errorf("a did not revoke b's lease over the liveness link")
	}
	sameFlowsKept(t, "after the kill", before, flowKeys(t, lab, "sw1"))

	// SIGTERM of the master a: it resigns, and a restarted b takes over
	// at once.
	b2 := Start(t, Options{Config: cfg, Args: teamArgs("b", etcd.Endpoints()...)})
	if err := lab.SetController("sw1", "tcp:"+a.OFAddr, "tcp:"+b2.OFAddr); err != nil {
		t.Fatal(err)
	}
	Eventually(t, 30*time.Second, "b's session", func() bool { return b2.Metric(t, "voipsdn_team_role") == 0 })
	Eventually(t, 30*time.Second, "b linked to a", func() bool { return linkedTo(b2, "a") })
	time.Sleep(time.Second)
	addStray(t, lab, "sw1")
	stopped := time.Now()
	go a.stop()
	seen = waitStrayGone(t, lab, "sw1")
	synced = lastLogTime(b2, "switch in sync")
	t.Logf("SIGTERM: a resigned %v, b became master %v and its first flow-mod was applied %v after a was told to stop (stray seen gone %v after)",
		lastLogTime(a, "team: no longer master of the switch").Sub(stopped),
		lastLogTime(b2, "team: became master of the switch").Sub(stopped), synced.Sub(stopped), seen.Sub(stopped))
	if synced.Sub(stopped) > time.Second {
		t.Errorf("takeover after SIGTERM took %v", synced.Sub(stopped))
	}
	sameFlowsKept(t, "after the shutdown", before, flowKeys(t, lab, "sw1"))
}

func lastLogTime(p *Proc, msg string) time.Time {
	var tm time.Time
	for _, l := range strings.Split(p.Logs(), "\n") {
		if strings.Contains(l, msg) {
			tm = lineTime(l)
		}
	}
	return tm
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
