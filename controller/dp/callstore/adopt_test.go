package callstore

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// meterIDsOn lists the meters a fake datapath holds.
func (f *fakeSwitches) meterIDsOn(dpid uint64) []uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []uint32
	for id := range f.meters[dpid] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// flowsWithoutInPort lists the per-call flows matching no ingress port.
func (f *fakeSwitches) flowsWithoutInPort(dpid uint64) []of13.Flow {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []of13.Flow
	for _, fl := range f.flows[dpid] {
		if _, ok := fl.Match.Get(of13.FieldInPort); !ok {
			out = append(out, fl)
		}
	}
	return out
}

// After a restart the tracker reports a live call's legs before the
// sweep (the sweep waits for every server's resync) and before the phones
// are located again. The new engine must adopt the call's flows and
// meters as they are: no batch sent, same meter ids, nothing without
// in_port.
func TestEngineAdoptsBeforeTheSweep(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e1, _, ctx1 := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, call := range []string{"live", "gone"} {
		for _, l := range twoLegs(call) {
			e1.MediaKnown(ctx1, l, time.Now()) //nolint:errcheck
		}
	}
	sync1(t, e1, ctx1)
	meters := sw.meterIDsOn(1)

	// The restarted controller has located only the PBX so far.
	sw.mu.Lock()
	sw.loc = fakeLocator{pbxIP: labLocator()[pbxIP]}
	sw.mu.Unlock()
	e2, obs, ctx2 := startEngine(t, testPolicy(config.PinholeMark), sw)
	e2.RetryDelay, e2.SenderWait = time.Hour, time.Hour
	applies := sw.applies
	for _, l := range twoLegs("live") {
		e2.MediaKnown(ctx2, l, time.Now()) //nolint:errcheck
	}
	sync1(t, e2, ctx2)
	if sw.applies != applies {
		t.Errorf("the restarted engine sent %d batches for a call the switch already holds", sw.applies-applies)
	}
	if f, m := sw.counts(1); f != 16 || m != 8 {
		t.Fatalf("before the sweep: %d flows, %d meters; want all 16 and 8 kept", f, m)
	}
	if got := sw.meterIDsOn(1); !slices.Equal(got, meters) {
		t.Errorf("meters %v after the restart, %v before", got, meters)
	}
	if obs.flows != 16 {
		t.Errorf("engine reports %d flows, the switch holds 16", obs.flows)
	}
	liveCookie := qos.CallCookie("pbx1", "live")
	if err := e2.Sweep(ctx2, 1, func(c uint64) bool { return c == liveCookie }); err != nil {
		t.Fatal(err)
	}
	if f, m := sw.counts(1); f != 8 || m != 4 {
		t.Fatalf("after the sweep: %d flows, %d meters; want the live call's 8 and 4", f, m)
	}
	// The legs own what they adopted: the hang-up removes all of it.
	e2.CallEnded(ctx2, "pbx1", "live") //nolint:errcheck
	sync1(t, e2, ctx2)
	if f, m := sw.counts(1); f != 0 || m != 0 {
		t.Fatalf("after the adopted call hung up: %d flows, %d meters left", f, m)
	}
}

// A stream whose sender is not located is not marked at the receiver
// (which cannot match the ingress port): the sender is probed, and the
// stream placed at its switch as soon as it is located, not at a timer.
func TestEngineWaitsForTheSender(t *testing.T) {
	sw := newFakeSwitches(fakeLocator{pbxIP: labLocator()[pbxIP]})
	e, _, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	e.RetryDelay, e.SenderWait, e.Retries = time.Hour, time.Hour, 3
	leg := twoLegs("c1")[0]
	e.MediaKnown(ctx, leg, time.Now()) //nolint:errcheck
	sync1(t, e, ctx)
	if f, _ := sw.counts(1); f != 2 {
		t.Fatalf("want only the PBX's stream (2 flows) while the phone is unknown, have %d", f)
	}
	if fs := sw.flowsWithoutInPort(1); len(fs) > 0 {
		t.Fatalf("flows without in_port: %v", fs)
	}
	sw.mu.Lock()
	probed := sw.probed[leg.Remote.Addr()]
	sw.loc[phoneA] = labLocator()[phoneA]
	sw.mu.Unlock()
	if probed == 0 {
		t.Error("the unknown sender was not probed")
	}
	e.Located(phoneA)
	sync1(t, e, ctx)
	if f, m := sw.counts(1); f != 4 || m != 2 {
		t.Fatalf("after the phone was located: %d flows, %d meters; want 4 and 2", f, m)
	}
	if fs := sw.flowsWithoutInPort(1); len(fs) > 0 {
		t.Fatalf("flows without in_port: %v", fs)
	}
	// A sender that never answers (not behind a controlled port) gets
	// its stream at the receiver once SenderWait has passed.
	// The store's clock is a fake one: the wait is stepped, not slept.
	clk := newFakeClock()
	e2, _, ctx2 := startEngineWith(t, testPolicy(config.PinholeMark), newFakeSwitches(fakeLocator{pbxIP: labLocator()[pbxIP]}),
		func(s *Store) { s.Clock, s.SenderWait, s.RetryDelay, s.Retries = clk, time.Hour, time.Minute, 100 })
	sw2 := e2.sw.(*serial).testSwitches.(*fakeSwitches)
	e2.MediaKnown(ctx2, twoLegs("c2")[0], clk.Now()) //nolint:errcheck
	sync1(t, e2, ctx2)
	if _, w := sw2.counts(1); len(sw2.flowsWithoutInPort(1)) != 0 {
		t.Fatalf("marked at the receiver before SenderWait passed (%d meters)", w)
	}
	for range 61 {
		clk.Step(time.Minute)
		sync1(t, e2, ctx2)
	}
	sync1(t, e2, ctx2)
	if f, _ := sw2.counts(1); f != 4 || len(sw2.flowsWithoutInPort(1)) != 2 {
		t.Fatalf("an unanswering sender: %d flows, %d without in_port; want 4 and 2", f, len(sw2.flowsWithoutInPort(1)))
	}

	// A sender on a controlled VLAN's subnet is behind a controlled port:
	// however long it is silent, its stream is never placed at the
	// receiver, and it is placed at its own port when it is located.
	clk3 := newFakeClock()
	sw3 := homedSwitches{newFakeSwitches(fakeLocator{pbxIP: labLocator()[pbxIP]}), netip.MustParsePrefix("10.254.0.0/24")}
	e3, obs3, ctx3 := startEngineWith(t, testPolicy(config.PinholeMark), sw3,
		func(s *Store) { s.Clock, s.SenderWait, s.RetryDelay, s.Retries = clk3, time.Hour, time.Minute, 100 })
	e3.MediaKnown(ctx3, twoLegs("c3")[0], clk3.Now()) //nolint:errcheck
	for range 200 {
		clk3.Step(time.Minute)
		sync1(t, e3, ctx3)
	}
	if f, _ := sw3.counts(1); f != 2 || len(sw3.flowsWithoutInPort(1)) != 0 {
		t.Fatalf("a homed sender out of attempts: %d flows, %d without in_port; want only the PBX's 2, all with in_port", f, len(sw3.flowsWithoutInPort(1)))
	}
	if n := obs3.get(qos.ReasonLocationUnknown); n != 0 {
		t.Errorf("a partly placed leg counted %d fallbacks; want 0", n)
	}
	sw3.mu.Lock()
	sw3.loc[phoneA] = labLocator()[phoneA]
	sw3.mu.Unlock()
	e3.Located(phoneA)
	sync1(t, e3, ctx3)
	if f, m := sw3.counts(1); f != 4 || m != 2 || len(sw3.flowsWithoutInPort(1)) != 0 {
		t.Fatalf("the homed sender located: %d flows, %d meters, %d without in_port; want 4, 2, 0", f, m, len(sw3.flowsWithoutInPort(1)))
	}
	held := make(chan int, 1)
	e3.do(ctx3, func(context.Context) { held <- e3.held }) //nolint:errcheck
	if n := <-held; n != 0 {
		t.Errorf("%d legs still held after their sender was located", n)
	}
}

// homedSwitches knows a controlled VLAN's subnet (qos.Homes).
type homedSwitches struct {
	*fakeSwitches
	subnet netip.Prefix
}

func (h homedSwitches) Homed(ip netip.Addr) bool { return h.subnet.Contains(ip) }

// Meters are sized from the codec on the wire: a G.729 leg's meter is
// far smaller than a G.711 one's.
func TestEngineMeterRateFromCodec(t *testing.T) {
	q := config.DefaultQoS()
	q.PBXAddresses = []netip.Addr{pbxIP}
	sw := newFakeSwitches(labLocator())
	e, _, ctx := startEngine(t, &q, sw)
	// kbit/s on the wire (docs/voip.md) plus 10 % headroom, rounded up.
	want := map[string]uint32{"ulaw": 96, "g729": 35, "opus": 70, "g722": 96, "weird": 96}
	meterOf := map[string][]uint32{}
	for codec := range want {
		l := twoLegs("c-" + codec)[0]
		l.Codec = codec
		e.MediaKnown(ctx, l, time.Now()) //nolint:errcheck
		sync1(t, e, ctx)
		sw.mu.Lock()
		for _, f := range sw.flows[1] {
			if qos.CallKey(f.Cookie) == qos.CallCookie("pbx1", l.Call) {
				meterOf[codec] = append(meterOf[codec], f.Instr.Meter)
			}
		}
		sw.mu.Unlock()
	}
	for codec, rate := range want {
		if len(meterOf[codec]) == 0 {
			t.Fatalf("%s leg: no flows", codec)
		}
		for _, id := range meterOf[codec] {
			if got := sw.rates[id]; got != rate {
				t.Errorf("%s leg: meter %d rate %d kbit/s, want %d", codec, id, got, rate)
			}
		}
	}
}

// A per-call flow the switch removes for idleness while the call is up is
// installed again with its meter; an adopted flow nobody claimed is
// forgotten and its meter deleted once its last flow is gone.
func TestEngineFlowRemoved(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e, _, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	legs := twoLegs("c1")
	e.MediaKnown(ctx, legs[0], time.Now()) //nolint:errcheck
	sync1(t, e, ctx)
	expire := func(sw *fakeSwitches, e *Store, ctx context.Context, f of13.Flow) {
		sw.mu.Lock()
		delete(sw.flows[1], f.Key())
		sw.mu.Unlock()
		if err := e.FlowRemoved(ctx, 1, &of13.FlowRemoved{Flow: f, Reason: of13.RemovedIdleTimeout}); err != nil {
			t.Fatal(err)
		}
		sync1(t, e, ctx)
	}
	sw.mu.Lock()
	var one of13.Flow
	for _, f := range sw.flows[1] {
		one = f
		break
	}
	sw.mu.Unlock()
	expire(sw, e, ctx, one)
	if f, m := sw.counts(1); f != 4 || m != 2 {
		t.Fatalf("after an idle timeout of a live call's flow: %d flows, %d meters; want it back: 4 and 2", f, m)
	}

	// A restarted engine adopts the flows; the call's leg is never
	// reported again and its flows idle out one by one.
	e2, obs, ctx2 := startEngine(t, testPolicy(config.PinholeMark), sw)
	if err := e2.Scan(ctx2, 1); err != nil {
		t.Fatal(err)
	}
	sync1(t, e2, ctx2)
	sw.mu.Lock()
	var all []of13.Flow
	for _, f := range sw.flows[1] {
		all = append(all, f)
	}
	sw.mu.Unlock()
	for i, f := range all {
		expire(sw, e2, ctx2, f)
		_, m := sw.counts(1)
		meterUsed := false
		for _, g := range all[i+1:] {
			meterUsed = meterUsed || g.Instr.Meter == f.Instr.Meter
		}
		if !meterUsed && slices.Contains(sw.meterIDsOn(1), f.Instr.Meter) {
			t.Errorf("meter %d left after its last flow idled out (%d meters)", f.Instr.Meter, m)
		}
	}
	if f, m := sw.counts(1); f != 0 || m != 0 || obs.flows != 0 || obs.active != 0 {
		t.Fatalf("after every adopted flow idled out: %d flows, %d meters; engine reports %d flows, %d calls", f, m, obs.flows, obs.active)
	}
}

// slowReads answers the first CallFlows with what the switch held when it
// was asked, but only once released, as a read that overtakes nothing.
type slowReads struct {
	*fakeSwitches
	reads   atomic.Int32
	release chan struct{}
}

func (s *slowReads) CallFlows(ctx context.Context, dpid uint64) ([]of13.Flow, error) {
	flows, err := s.fakeSwitches.CallFlows(ctx, dpid)
	if s.reads.Add(1) == 1 {
		<-s.release
	}
	return flows, err
}

// A switch's first read (at connect) may return after a sweep has read it
// again and deleted stale flows: the older read must not bring the deleted
// flows back into the engine's books, where nothing would ever remove
// them.
func TestEngineLateScanDoesNotResurrectSweptFlows(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e1, _, ctx1 := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, l := range twoLegs("gone") {
		e1.MediaKnown(ctx1, l, time.Now()) //nolint:errcheck
	}
	sync1(t, e1, ctx1)

	slow := &slowReads{fakeSwitches: sw, release: make(chan struct{})}
	e2, obs, ctx2 := startEngine(t, testPolicy(config.PinholeMark), slow)
	if err := e2.Scan(ctx2, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the scan has read the switch
	if err := e2.Sweep(ctx2, 1, func(uint64) bool { return false }); err != nil {
		t.Fatal(err)
	}
	close(slow.release)
	sync1(t, e2, ctx2)
	if f, m := sw.counts(1); f != 0 || m != 0 {
		t.Fatalf("after the sweep: %d flows, %d meters", f, m)
	}
	if obs.flows != 0 || obs.active != 0 {
		t.Fatalf("the late read brought back %d flows of %d calls the sweep deleted", obs.flows, obs.active)
	}
}

// A sweep's read may be answered before installs queued meanwhile reach
// the switch: the replay must not send those streams a second time (the
// second meter add would be refused, and with it the group it went in).
func TestEngineSweepDoesNotReplayWhatIsBeingInstalled(t *testing.T) {
	sw := gatedSwitches{newFakeSwitches(labLocator()), make(chan struct{})}
	e, _, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, l := range twoLegs("c1") {
		e.MediaKnown(ctx, l, time.Now()) //nolint:errcheck
	}
	// Wait until the installs are on their way (held at the gate).
	for deadline := time.Now().Add(5 * time.Second); ; {
		n := make(chan int, 1)
		e.do(ctx, func(context.Context) { n <- len(e.adding[1]) }) //nolint:errcheck
		if <-n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the installs were not sent")
		}
		time.Sleep(time.Millisecond)
	}
	// The switch does not show them yet: nothing to replay, nothing
	// stale, so the sweep has nothing to wait for.
	swept := make(chan error, 1)
	go func() { swept <- e.Sweep(ctx, 1, nil) }()
	select {
	case err := <-swept:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sweep replayed streams still being installed (it waits for them behind the gate)")
	}
	applies := func() int { sw.mu.Lock(); defer sw.mu.Unlock(); return sw.applies }
	close(sw.gate)
	sync1(t, e, ctx)
	if f, m := sw.counts(1); f != 8 || m != 4 {
		t.Fatalf("%d flows, %d meters; want 8 and 4", f, m)
	}
	if n := applies(); n != 4 {
		t.Errorf("%d changes applied, want the 4 installs alone", n)
	}
}

// heldReads answers a read, once armed, with what the switch held when it
// was asked, but only once released: a read answered before changes sent
// meanwhile reached the switch.
type heldReads struct {
	*fakeSwitches
	armed   atomic.Bool
	release chan struct{}
}

func (h *heldReads) CallFlows(ctx context.Context, dpid uint64) ([]of13.Flow, error) {
	flows, err := h.fakeSwitches.CallFlows(ctx, dpid)
	if h.armed.Swap(false) {
		<-h.release
	}
	return flows, err
}

// Nor may it replay streams installed and confirmed while its read was on
// its way: the read may not show them.
func TestEngineSweepDoesNotReplayWhatWasInstalledMeanwhile(t *testing.T) {
	sw := &heldReads{fakeSwitches: newFakeSwitches(labLocator()), release: make(chan struct{})}
	e, obs, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, l := range twoLegs("c1") {
		e.MediaKnown(ctx, l, time.Now()) //nolint:errcheck
	}
	sync1(t, e, ctx)
	sw.armed.Store(true)
	swept := make(chan error, 1)
	go func() { swept <- e.Sweep(ctx, 1, nil) }()
	for sw.armed.Load() { // the sweep's read has taken its snapshot
		time.Sleep(time.Millisecond)
	}
	for _, l := range twoLegs("c2") {
		e.MediaKnown(ctx, l, time.Now()) //nolint:errcheck
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		obs.mu.Lock()
		n := obs.installs
		obs.mu.Unlock()
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d legs installed, want 4", n)
		}
	}
	sync1(t, e, ctx)
	sw.mu.Lock()
	before := sw.applies
	sw.mu.Unlock()
	close(sw.release)
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	sync1(t, e, ctx)
	sw.mu.Lock()
	after := sw.applies
	sw.mu.Unlock()
	if after != before {
		t.Errorf("the sweep sent %d changes for streams installed while it read", after-before)
	}
	if f, m := sw.counts(1); f != 16 || m != 8 {
		t.Fatalf("%d flows, %d meters; want 16 and 8", f, m)
	}
}

// A live call found on the switch after a restart is adopted only if its
// flows give it the treatment it gets now: when its class changed
// meanwhile, a fresh install replaces them, and nothing of the old
// treatment is left.
func TestAdoptionKeepsOnlyTheSameTreatment(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e1, _, ctx1 := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, l := range twoLegs("live") {
		e1.MediaKnown(ctx1, l, time.Now()) //nolint:errcheck
	}
	sync1(t, e1, ctx1)

	q := testPolicy(config.PinholeMark)
	q.Classes = []*config.QoSClass{{Name: "emergency", DSCP: 34, Meter: true, HeadroomPercent: 10, Queue: q.Queue}}
	e2, _, ctx2 := startEngine(t, q, sw)
	live := qos.CallCookie("pbx1", "live")
	if err := e2.Sweep(ctx2, 1, func(c uint64) bool { return c == live }); err != nil {
		t.Fatal(err)
	}
	for _, l := range twoLegs("live") {
		l.Class = "emergency"
		e2.MediaKnown(ctx2, l, time.Now()) //nolint:errcheck
	}
	sync1(t, e2, ctx2)
	if f, m := sw.counts(1); f != 8 || m != 4 {
		t.Fatalf("after the re-report with a new class: %d flows, %d meters; want 8 and 4", f, m)
	}
	sw.mu.Lock()
	for _, f := range sw.flows[1] {
		if !strings.Contains(f.String(), "set_field:34->ip_dscp") || qos.CookieGen(f.Cookie) != e2.Generation {
			t.Errorf("flow %s (generation %d): want AF41, installed by the new run (%d)", f.String(), qos.CookieGen(f.Cookie), e2.Generation)
		}
	}
	sw.mu.Unlock()
	e2.CallEnded(ctx2, "pbx1", "live") //nolint:errcheck
	sync1(t, e2, ctx2)
	if f, m := sw.counts(1); f != 0 || m != 0 {
		t.Fatalf("after hang-up: %d flows, %d meters left", f, m)
	}
}
