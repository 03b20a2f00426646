package callstore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// fakeSwitches holds flows and meters per datapath the way a switch
// would: adding an existing meter or a flow that uses a missing meter
// fails.
type fakeSwitches struct {
	mu        sync.Mutex
	loc       fakeLocator
	flows     map[uint64]map[of13.FlowKey]of13.Flow
	meters    map[uint64]map[uint32]bool
	rates     map[uint32]uint32 // meter id -> drop band rate, kbit/s
	maxMeters int
	applies   int
	probed    map[netip.Addr]int
}

func (f *fakeSwitches) Probe(ip netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.probed == nil {
		f.probed = map[netip.Addr]int{}
	}
	f.probed[ip]++
}

func newFakeSwitches(loc fakeLocator) *fakeSwitches {
	return &fakeSwitches{loc: loc, flows: map[uint64]map[of13.FlowKey]of13.Flow{}, meters: map[uint64]map[uint32]bool{}, maxMeters: 1 << 20}
}

func (f *fakeSwitches) Locate(ip netip.Addr) (qos.Location, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loc.Locate(ip)
}

func (f *fakeSwitches) Placement(dpid uint64) (qos.Placement, bool) {
	return qos.Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}}, dpid == 1 || dpid == 2
}

func (f *fakeSwitches) Apply(_ context.Context, dpid uint64, b qos.Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applies++
	if f.flows[dpid] == nil {
		f.flows[dpid], f.meters[dpid] = map[of13.FlowKey]of13.Flow{}, map[uint32]bool{}
	}
	for _, m := range b.MeterAdds {
		if m.Command == of13.ModModify {
			if !f.meters[dpid][m.ID] {
				return &of13.Error{Type: of13.ErrMeterModFailed, Code: 3} // UNKNOWN_METER
			}
			f.rates[m.ID] = m.Bands[0].Rate
			continue
		}
		if f.meters[dpid][m.ID] {
			return errMeterExists
		}
		if len(f.meters[dpid]) >= f.maxMeters {
			return qos.ErrMeterTableFull
		}
		f.meters[dpid][m.ID] = true
		if f.rates == nil {
			f.rates = map[uint32]uint32{}
		}
		f.rates[m.ID] = m.Bands[0].Rate
	}
	for _, fm := range b.Flows {
		switch fm.Command {
		case of13.FlowAdd:
			if fm.Instr.Meter != 0 && !f.meters[dpid][fm.Instr.Meter] {
				return errors.New("OFPET_METER_MOD_FAILED/OFPMMFC_UNKNOWN_METER")
			}
			f.flows[dpid][fm.Key()] = fm.Flow
		case of13.FlowDeleteStrict:
			delete(f.flows[dpid], fm.Key())
		}
	}
	for _, m := range b.MeterDeletes {
		delete(f.meters[dpid], m.ID)
	}
	return nil
}

func (f *fakeSwitches) CallFlows(_ context.Context, dpid uint64) ([]of13.Flow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []of13.Flow
	for _, fl := range f.flows[dpid] {
		if qos.IsCallCookie(fl.Cookie) {
			out = append(out, fl)
		}
	}
	return out, nil
}

func (f *fakeSwitches) counts(dpid uint64) (flows, meters int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.flows[dpid]), len(f.meters[dpid])
}

type countingObserver struct {
	mu        sync.Mutex
	fallbacks map[qos.Reason]int
	installs  int
	active    int
	flows     int
}

func (o *countingObserver) InstallLatency(time.Duration) { o.mu.Lock(); o.installs++; o.mu.Unlock() }
func (o *countingObserver) Fallback(r qos.Reason)        { o.mu.Lock(); o.fallbacks[r]++; o.mu.Unlock() }
func (o *countingObserver) Calls(a, f int)               { o.mu.Lock(); o.active, o.flows = a, f; o.mu.Unlock() }

func (o *countingObserver) get(r qos.Reason) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fallbacks[r]
}

var (
	phoneA = netip.MustParseAddr("10.254.0.201")
	phoneB = netip.MustParseAddr("10.254.0.202")
	pbxIP  = netip.MustParseAddr("10.254.0.1")
)

func labLocator() fakeLocator {
	return fakeLocator{
		phoneA: {DP: "sw1", DPID: 1, Port: 1, VID: 100},
		phoneB: {DP: "sw1", DPID: 1, Port: 2, VID: 100},
		pbxIP:  {DP: "sw1", DPID: 1, Port: 5, VID: 100},
	}
}

func startEngine(t *testing.T, q *config.QoS, sw testSwitches) (*Store, *countingObserver, context.Context) {
	t.Helper()
	return startEngineWith(t, q, sw, nil)
}

// startEngineWith is startEngine with set, if not nil, run on the store
// before it starts.
var generations atomic.Uint32

func startEngineWith(t *testing.T, q *config.QoS, sw testSwitches, set func(*Store)) (*Store, *countingObserver, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	obs := &countingObserver{fallbacks: map[qos.Reason]int{}}
	e := New(q, viaDP(sw), obs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.RetryDelay, e.Retries = 10*time.Millisecond, 2
	// Each store of a test is another run: distinct generations, as New's
	// random pick gives all but once in 65,535 restarts.
	e.Generation = uint16(generations.Add(1)%0xffff) + 1
	if set != nil {
		set(e)
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, obs, ctx
}

// sync1 waits until the engine has processed everything queued before
// it and the switch has given its verdict on every batch sent.
func sync1(t *testing.T, e *Store, ctx context.Context) {
	t.Helper()
	barrier := func() {
		done := make(chan struct{})
		if err := e.do(ctx, func(context.Context) { close(done) }); err != nil {
			t.Fatal(err)
		}
		<-done
	}
	for {
		barrier()
		if e.Idle() {
			// Verdicts are queued before a batch stops counting as in
			// flight: one more round trip runs them.
			barrier()
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// twoLegs returns a bridged call's legs; each call gets its own ports, as
// Asterisk allocates a new RTP port pair per leg.
func twoLegs(call string) []qos.Leg {
	off := uint16(0)
	for _, c := range call {
		off = off*31 + uint16(c)
	}
	off = off % 400 * 2
	return []qos.Leg{
		{Server: "pbx1", Call: call, ID: call + ".a", Codec: "ulaw", Local: netip.AddrPortFrom(pbxIP, 10018+off), Remote: netip.AddrPortFrom(phoneA, 20316+off)},
		{Server: "pbx1", Call: call, ID: call + ".b", Codec: "ulaw", Local: netip.AddrPortFrom(pbxIP, 10996-off), Remote: netip.AddrPortFrom(phoneB, 20046+off)},
	}
}

func TestEngineInstallsAndRemovesACall(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e, obs, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, l := range twoLegs("c1") {
		if err := e.MediaKnown(ctx, l, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sync1(t, e, ctx)
	// Two legs x two directions x (RTP + RTCP), one meter per direction.
	if f, m := sw.counts(1); f != 8 || m != 4 {
		t.Fatalf("after answer: %d flows, %d meters; want 8 and 4", f, m)
	}
	if obs.installs != 2 || obs.active != 1 {
		t.Fatalf("observer saw %d installs, %d active calls", obs.installs, obs.active)
	}
	// The same media reported again changes nothing on the switch.
	applies := sw.applies
	e.MediaKnown(ctx, twoLegs("c1")[0], time.Now()) //nolint:errcheck
	sync1(t, e, ctx)
	if sw.applies != applies {
		t.Fatalf("a repeated identical MediaKnown sent %d batches", sw.applies-applies)
	}
	// One leg hangs up (a transfer): its flows go, the other leg's stay.
	if err := e.LegEnded(ctx, "pbx1", "c1", "c1.a"); err != nil {
		t.Fatal(err)
	}
	sync1(t, e, ctx)
	if f, m := sw.counts(1); f != 4 || m != 2 {
		t.Fatalf("after one leg ended: %d flows, %d meters; want 4 and 2", f, m)
	}
	if obs.flows != 4 {
		t.Fatalf("engine reports %d media flows, the switch holds 4", obs.flows)
	}
	if err := e.CallEnded(ctx, "pbx1", "c1"); err != nil {
		t.Fatal(err)
	}
	sync1(t, e, ctx)
	if f, m := sw.counts(1); f != 0 || m != 0 {
		t.Fatalf("after hang-up: %d flows, %d meters left", f, m)
	}
	if obs.flows != 0 || obs.active != 0 {
		t.Fatalf("engine reports %d flows, %d calls after hang-up", obs.flows, obs.active)
	}
}

func TestEngineAdoptsLiveCallsAfterRestart(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e1, _, ctx1 := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, call := range []string{"live", "gone"} {
		for _, l := range twoLegs(call) {
			e1.MediaKnown(ctx1, l, time.Now()) //nolint:errcheck
		}
	}
	sync1(t, e1, ctx1)
	if f, _ := sw.counts(1); f != 16 {
		t.Fatalf("want 16 flows before the restart, got %d", f)
	}

	// A new engine, as after a controller restart: the tracker says only
	// "live" is still up.
	e2, _, ctx2 := startEngine(t, testPolicy(config.PinholeMark), sw)
	liveCookie := qos.CallCookie("pbx1", "live")
	if err := e2.Sweep(ctx2, 1, func(c uint64) bool { return c == liveCookie }); err != nil {
		t.Fatal(err)
	}
	if f, m := sw.counts(1); f != 8 || m != 4 {
		t.Fatalf("after sweep: %d flows, %d meters; want the live call's 8 and 4", f, m)
	}
	// The tracker re-reports the live call's media: nothing leaks.
	for _, l := range twoLegs("live") {
		e2.MediaKnown(ctx2, l, time.Now()) //nolint:errcheck
	}
	sync1(t, e2, ctx2)
	if f, m := sw.counts(1); f != 8 || m != 4 {
		t.Fatalf("after re-report: %d flows, %d meters; want 8 and 4", f, m)
	}
	// Adopted, not reinstalled: the flows keep the first run's generation.
	sw.mu.Lock()
	for _, f := range sw.flows[1] {
		if g := qos.CookieGen(f.Cookie); g != e1.Generation || g == e2.Generation {
			t.Errorf("flow %s has generation %d; want the first run's %d", f.Key(), g, e1.Generation)
		}
	}
	sw.mu.Unlock()
	e2.CallEnded(ctx2, "pbx1", "live") //nolint:errcheck
	sync1(t, e2, ctx2)
	if f, m := sw.counts(1); f != 0 || m != 0 {
		t.Fatalf("after hang-up of the adopted call: %d flows, %d meters left", f, m)
	}
}

func TestEngineFallbacks(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	q.MaxCalls = 1
	sw := newFakeSwitches(labLocator())
	e, obs, ctx := startEngine(t, q, sw)
	e.MediaKnown(ctx, twoLegs("c1")[0], time.Now()) //nolint:errcheck
	e.MediaKnown(ctx, twoLegs("c2")[0], time.Now()) //nolint:errcheck
	unknown := qos.Leg{Server: "pbx1", Call: "c1", ID: "x", Local: netip.AddrPortFrom(netip.MustParseAddr("192.0.2.77"), 10000),
		Remote: netip.AddrPortFrom(netip.MustParseAddr("198.51.100.9"), 4000)}
	e.MediaKnown(ctx, unknown, time.Now()) //nolint:errcheck
	// Unlocated endpoints are retried (twice, 10 ms apart, in these
	// tests) before the leg falls back.
	time.Sleep(100 * time.Millisecond)
	sync1(t, e, ctx)
	if obs.get(qos.ReasonOverCapacity) != 1 || obs.get(qos.ReasonLocationUnknown) != 1 {
		t.Fatalf("fallbacks: %v", obs.fallbacks)
	}

	sw2 := newFakeSwitches(labLocator())
	sw2.maxMeters = 1
	e2, obs2, ctx2 := startEngine(t, testPolicy(config.PinholeMark), sw2)
	e2.MediaKnown(ctx2, twoLegs("c1")[0], time.Now()) //nolint:errcheck
	sync1(t, e2, ctx2)
	if obs2.get(qos.ReasonMeterTableFull) != 1 {
		t.Fatalf("want one meter_table_full fallback, got %v", obs2.fallbacks)
	}
	if f, m := sw2.counts(1); f != 2 || m != 1 {
		t.Fatalf("the placed direction keeps its 2 flows and meter, got %d flows %d meters", f, m)
	}
}

func TestEngineReplaysAfterSwitchLostItsTables(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	e, _, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	for _, l := range twoLegs("c1") {
		e.MediaKnown(ctx, l, time.Now()) //nolint:errcheck
	}
	sync1(t, e, ctx)
	// The switch restarts with empty tables and reconnects.
	sw.mu.Lock()
	sw.flows[1], sw.meters[1] = map[of13.FlowKey]of13.Flow{}, map[uint32]bool{}
	sw.mu.Unlock()
	if err := e.Sweep(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	if f, m := sw.counts(1); f != 8 || m != 4 {
		t.Fatalf("after the switch lost its tables: %d flows, %d meters; want the call's 8 and 4 back", f, m)
	}
	e.CallEnded(ctx, "pbx1", "c1") //nolint:errcheck
	sync1(t, e, ctx)
	if f, m := sw.counts(1); f != 0 || m != 0 {
		t.Fatalf("after hang-up: %d flows, %d meters left", f, m)
	}
}

func TestEngineRetriesUntilEndpointsAreLocated(t *testing.T) {
	sw := newFakeSwitches(fakeLocator{})
	e, obs, ctx := startEngine(t, testPolicy(config.PinholeMark), sw)
	e.RetryDelay, e.Retries = 50*time.Millisecond, 40
	leg := twoLegs("c1")[0]
	e.MediaKnown(ctx, leg, time.Now()) //nolint:errcheck
	sync1(t, e, ctx)
	if f, _ := sw.counts(1); f != 0 {
		t.Fatal("flows installed for unlocated endpoints")
	}
	// The phone's ARP arrives: the pending leg is placed on a retry.
	sw.mu.Lock()
	sw.loc = labLocator()
	sw.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if f, _ := sw.counts(1); f == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("leg never installed after its endpoints were located")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if obs.get(qos.ReasonLocationUnknown) != 0 {
		t.Fatal("a leg placed on retry must not count as a fallback")
	}
	sw.mu.Lock()
	if sw.probed[leg.Remote.Addr()] == 0 || sw.probed[leg.Local.Addr()] == 0 {
		t.Errorf("unlocated endpoints were not probed: %v", sw.probed)
	}
	sw.mu.Unlock()
	// A leg whose call ends while it waits is never installed.
	sw.mu.Lock()
	sw.loc = fakeLocator{}
	sw.mu.Unlock()
	leg2 := twoLegs("c2")[0]
	e.MediaKnown(ctx, leg2, time.Now()) //nolint:errcheck
	e.CallEnded(ctx, "pbx1", "c2")      //nolint:errcheck
	sw.mu.Lock()
	sw.loc = labLocator()
	sw.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	sync1(t, e, ctx)
	if f, _ := sw.counts(1); f != 4 {
		t.Fatalf("a retry installed flows for a call that had ended: %d flows", f)
	}
}

// gatedSwitches holds every Apply until the gate opens, as a switch
// slower than the call rate does.
type gatedSwitches struct {
	*fakeSwitches
	gate chan struct{}
}

func (g gatedSwitches) Apply(ctx context.Context, dpid uint64, b qos.Batch) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.fakeSwitches.Apply(ctx, dpid, b)
}

// A burst of answered calls larger than the engine's request queue, while
// the switch lags, must not deadlock the engine with its send path (the
// engine waiting to queue a batch, the send path waiting to hand back a
// verdict).
func TestEngineBurstWhileSwitchLags(t *testing.T) {
	sw := gatedSwitches{newFakeSwitches(labLocator()), make(chan struct{})}
	q := testPolicy(config.PinholeMark)
	const calls = 4000 // 8,000 legs: more than the request queue holds
	q.MaxCalls = calls
	e, obs, ctx := startEngine(t, q, sw)
	queued := make(chan error, 1)
	go func() {
		for i := range calls {
			for _, l := range twoLegs("c" + strconv.Itoa(i)) {
				l.Local = netip.AddrPortFrom(pbxIP, uint16(10000+2*(i%500)))
				l.Remote = netip.AddrPortFrom(l.Remote.Addr(), uint16(20000+2*i))
				if err := e.MediaKnown(ctx, l, time.Now()); err != nil {
					queued <- err
					return
				}
			}
		}
		queued <- nil
	}()
	time.Sleep(100 * time.Millisecond) // let the queues fill
	close(sw.gate)
	select {
	case err := <-queued:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("engine stuck: MediaKnown still blocked after 30 s")
	}
	sync1(t, e, ctx)
	if f, m := sw.counts(1); f != 8*calls || m != 4*calls {
		t.Fatalf("%d flows, %d meters; want %d and %d", f, m, 8*calls, 4*calls)
	}
	if obs.installs != 2*calls {
		t.Fatalf("%d legs installed, want %d", obs.installs, 2*calls)
	}
}
