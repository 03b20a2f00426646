package voice

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// rtpCall runs a call's media as its endpoints would: each leg's phone
// and the PBX send 50 packets/s to each other from their RTP ports, for d.
// wait returns what each receiver saw, by direction ("phone201->pbx").
func (e *e2e) rtpCall(legs []tracker.MediaKnown, d time.Duration) (wait func() map[string]ovslab.RecvStats) {
	e.t.Helper()
	type end struct {
		name string
		rx   *ovslab.Receiver
		to   string // the peer's RTP address
		peer string
	}
	var ends []end
	for _, m := range legs {
		phone := hostOf(m.Remote.Addr())
		prx, err := e.lab.Host(phone).ReceiveUDP(m.Remote.String())
		if err != nil {
			e.t.Fatal(err)
		}
		brx, err := e.lab.Host("pbx").ReceiveUDP(m.Local.String())
		if err != nil {
			e.t.Fatal(err)
		}
		ends = append(ends, end{phone, prx, m.Local.String(), "pbx"}, end{"pbx", brx, m.Remote.String(), phone})
	}
	var wg sync.WaitGroup
	for _, en := range ends {
		wg.Add(1)
		go func() {
			defer wg.Done()
			en.rx.SendStream(e.ctx, ovslab.Stream{Dst: en.to, Duration: d}) //nolint:errcheck // the receivers count
		}()
	}
	return func() map[string]ovslab.RecvStats {
		wg.Wait()
		time.Sleep(200 * time.Millisecond)
		out := map[string]ovslab.RecvStats{}
		for i, en := range ends {
			st, _ := en.rx.Close()
			// The receiver at this end saw what its peer sent.
			out[ends[i^1].name+"->"+en.name] = st
		}
		return out
	}
}

// flowID names a per-call flow by table, priority and match.
func flowID(f ovslab.Flow) string {
	keys := slices.Clone(f.MatchKeys)
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "table=%d,priority=%d", f.Table, f.Priority)
	for _, k := range keys {
		fmt.Fprintf(&b, ",%s=%s", k, f.Match[k])
	}
	return b.String()
}

func meterOf(f ovslab.Flow) string {
	for _, a := range strings.Split(f.Actions, ",") {
		if strings.HasPrefix(a, "meter:") {
			return a
		}
	}
	return ""
}

// TestRestartKeepsLiveCallFlows: the controller is stopped without any
// clean-up (as by kill -9) during a call whose RTP is flowing, and started
// again. The new controller knows no hosts and no calls; it must adopt
// what the switch holds: exactly the same flows (same match, same meter)
// and meters, with their packet counters still growing, and it must never
// install a per-call flow without in_port for the phones, which are behind
// controlled ports.
func TestRestartKeepsLiveCallFlows(t *testing.T) {
	e := newE2E(t, config.PinholeMark)
	_, legs := e.call(20200)
	e.waitFlows(8, 5*time.Second)
	wait := e.rtpCall(legs, 9*time.Second)
	time.Sleep(time.Second)

	before := map[string]ovslab.Flow{}
	for _, f := range e.callFlows() {
		before[flowID(f)] = f
	}
	metersBefore, err := e.lab.DumpMeters("sw1")
	if err != nil {
		t.Fatal(err)
	}

	// Watch the switch through the restart for any per-call flow
	// without in_port, however briefly it lives.
	watchCtx, stopWatch := context.WithCancel(e.ctx)
	var noInPort []string
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for watchCtx.Err() == nil {
			flows, _ := e.lab.DumpFlows("sw1", "cookie=0x5643000000000000/0xffff000000000000")
			for _, f := range flows {
				if _, ok := f.Match["in_port"]; !ok {
					noInPort = append(noInPort, f.Text)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	e.restartController()
	// The switch reconnects within its backoff (a second), the AMI client
	// within 100 ms, then the resync and the sweep.
	time.Sleep(4 * time.Second)
	stopWatch()
	<-watched

	after := map[string]ovslab.Flow{}
	for _, f := range e.callFlows() {
		after[flowID(f)] = f
	}
	if len(after) != len(before) {
		t.Errorf("after the restart %d per-call flows, before %d", len(after), len(before))
	}
	for id, b := range before {
		a, ok := after[id]
		switch {
		case !ok:
			t.Errorf("flow gone after the restart: %s", b.Text)
		case meterOf(a) != meterOf(b):
			t.Errorf("flow's meter changed from %s to %s: %s", meterOf(b), meterOf(a), a.Text)
		case b.Packets > 0 && a.Packets <= b.Packets:
			t.Errorf("flow's packet counter did not keep growing (%d before, %d after): %s", b.Packets, a.Packets, a.Text)
		}
	}
	metersAfter, err := e.lab.DumpMeters("sw1")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(ms []ovslab.Meter) []uint32 {
		var out []uint32
		for _, m := range ms {
			out = append(out, m.ID)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(ids(metersBefore), ids(metersAfter)) {
		t.Errorf("meters before the restart %v, after %v", ids(metersBefore), ids(metersAfter))
	}
	for _, f := range slices.Compact(noInPort) {
		t.Errorf("per-call flow without in_port installed: %s", f)
	}
	for dir, st := range wait() {
		if st.Packets < 400 || st.DSCP[46] != st.Packets {
			t.Errorf("%s RTP across the restart: %d packets, %d EF; want ~450, all EF", dir, st.Packets, st.DSCP[46])
		}
	}
}

// TestFirstCallAfterStartIsMarked: a controller that has just started
// knows no host (the hosts' ARP caches are warm, so they do not ARP). Its
// first call must be marked from its first packets, as later calls are:
// the endpoints are probed as soon as the media is known and the legs
// placed the moment the answers are learned, not at a retry timer. With
// pinhole off nothing else marks the RTP.
func TestFirstCallAfterStartIsMarked(t *testing.T) {
	e := newE2E(t, `"off"`)
	e.restartController()
	wctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	if err := e.lab.WaitConnected(wctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	// The AMI client reconnects within 100 ms and resyncs.
	time.Sleep(2 * time.Second)

	_, legs := e.call(20300)
	wait := e.rtpCall(legs, 2*time.Second)
	for dir, st := range wait() {
		if st.Packets < 90 || st.Packets-st.DSCP[46] > 1 {
			t.Errorf("%s RTP of the first call: %d packets, %d not EF; want ~100, at most 1 not EF", dir, st.Packets, st.Packets-st.DSCP[46])
		}
	}
}
