package dp

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// slowSwitch is a fakeSwitch whose barrier replies wait until the test
// releases them, as a slow switch's would; it counts the barriers.
type slowSwitch struct {
	*fakeSwitch
	hmu      sync.Mutex
	barriers [][]of13.Message
	replies  chan func()
}

func newSlowSwitch(id uint64) *slowSwitch {
	return &slowSwitch{fakeSwitch: newFakeSwitch(id), replies: make(chan func(), 1024)}
}

func (h *slowSwitch) SendWithBarrier(ctx context.Context, msgs []of13.Message, done func(error)) error {
	if err := h.Send(ctx, msgs); err != nil {
		return err
	}
	err := h.Barrier(ctx)
	h.hmu.Lock()
	h.barriers = append(h.barriers, msgs)
	h.hmu.Unlock()
	h.replies <- func() { done(err) }
	return nil
}

// reply answers the oldest outstanding barrier.
func (h *slowSwitch) reply(t *testing.T) {
	t.Helper()
	select {
	case f := <-h.replies:
		f()
	case <-time.After(5 * time.Second):
		t.Fatal("no barrier sent")
	}
}

// connect connects the switch to m, answering the barriers of the
// connect's own diff, and forgets them.
func (h *slowSwitch) connect(t *testing.T, m *Manager) {
	t.Helper()
	done := make(chan struct{})
	go func() { m.SwitchConnected(context.Background(), h); close(done) }()
	for {
		select {
		case <-done:
			h.hmu.Lock()
			h.barriers = nil
			h.hmu.Unlock()
			return
		case f := <-h.replies:
			f()
		case <-time.After(5 * time.Second):
			t.Fatal("connect did not finish")
		}
	}
}

func (h *slowSwitch) sends() [][]of13.Message {
	h.hmu.Lock()
	defer h.hmu.Unlock()
	return append([][]of13.Message(nil), h.barriers...)
}

// callFlow is a flow in the per-call cookie space (meter 0: none).
func callFlow(port uint32, meter uint32) of13.Flow {
	return of13.Flow{Table: 0, Priority: 9000, Cookie: 0x5643<<48 | uint64(port),
		Match: of13.NewMatch(of13.InPort(port)), Instr: of13.Instructions{Meter: meter, HasGoto: true, GotoTable: 1}}
}

func meterAdd(id uint32) of13.MeterMod {
	return of13.MeterMod{Command: of13.ModAdd, Meter: of13.Meter{ID: id, Flags: of13.MeterKbps,
		Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 100}}}}
}

// verdicts collects Commit verdicts by name.
type verdicts struct {
	mu  sync.Mutex
	got map[string]error
	n   chan struct{}
}

func newVerdicts() *verdicts { return &verdicts{got: map[string]error{}, n: make(chan struct{}, 64)} }

func (v *verdicts) of(name string) func(error) {
	return func(err error) {
		v.mu.Lock()
		v.got[name] = err
		v.mu.Unlock()
		v.n <- struct{}{}
	}
}

func (v *verdicts) wait(t *testing.T, n int) map[string]error {
	t.Helper()
	for range n {
		select {
		case <-v.n:
		case <-time.After(5 * time.Second):
			t.Fatal("verdict missing")
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]error{}
	for k, e := range v.got {
		out[k] = e
	}
	return out
}

// Changes queued while one is in flight go together, behind one barrier,
// and each gets its verdict in a callback: the caller never waits.
func TestCommitGroupsWhatQueuedMeanwhile(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newSlowSwitch(1)
	sw.connect(t, m)
	v := newVerdicts()
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(11, 0))}}, v.of("a"))
	for len(sw.sends()) == 0 {
		time.Sleep(time.Millisecond)
	}
	// a is in flight: b, c and d queue behind it.
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(12, 0))}}, v.of("b"))
	m.Commit(1, Change{Pre: []of13.Message{meterAdd(0x1001)},
		Flows: []of13.Message{of13.AddFlow(callFlow(13, 0x1001))}}, v.of("c"))
	m.Commit(1, Change{Flows: []of13.Message{of13.DeleteStrict(callFlow(12, 0))}, Post: nil}, v.of("d"))
	m.drainDP(t, 1)
	if n := len(sw.sends()); n != 1 {
		t.Fatalf("%d barriers before the first answer, want 1", n)
	}
	sw.reply(t)
	if got := v.wait(t, 1); got["a"] != nil {
		t.Fatalf("a: %v", got["a"])
	}
	sw.reply(t)
	got := v.wait(t, 3)
	for _, k := range []string{"b", "c", "d"} {
		if got[k] != nil {
			t.Errorf("%s: %v", k, got[k])
		}
	}
	sends := sw.sends()
	if len(sends) != 2 {
		t.Fatalf("%d barriers, want 2 (one per group)", len(sends))
	}
	// The group's meter add went first, its flow-mods kept their order:
	// b's flow was added and then deleted by d.
	if mm, ok := sends[1][0].(of13.MeterMod); !ok || mm.Meter.ID != 0x1001 {
		t.Errorf("first message of the merged group %v, want c's meter add", sends[1][0])
	}
	have := map[uint32]bool{}
	for _, f := range sw.flows() {
		if p, ok := f.Match.Get(of13.FieldInPort); ok && f.Cookie>>48 == 0x5643 {
			have[uint32(p.Uint())] = true
		}
	}
	if !have[11] || have[12] || !have[13] {
		t.Errorf("per-call flows on ports %v, want 11 and 13", have)
	}
}

// A refused group is sent again one change at a time, so only the change
// the switch refuses gets the error; a meter the merged attempt already
// added is set again with a modify.
func TestCommitRetriesARefusedGroupChangeByChange(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newSlowSwitch(1)
	sw.connect(t, m)
	v := newVerdicts()
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(20, 0))}}, v.of("first"))
	for len(sw.sends()) == 0 {
		time.Sleep(time.Millisecond)
	}
	m.Commit(1, Change{Pre: []of13.Message{meterAdd(0x1002)},
		Flows: []of13.Message{of13.AddFlow(callFlow(21, 0x1002))}}, v.of("good"))
	// A flow whose meter the switch does not have: refused.
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(22, 0x1999))}}, v.of("bad"))
	m.drainDP(t, 1)
	sw.reply(t) // first
	sw.reply(t) // the merged group, refused
	sw.reply(t) // good alone: its meter exists already
	sw.reply(t) // good again, meter modified
	sw.reply(t) // bad alone
	got := v.wait(t, 3)
	if got["first"] != nil || got["good"] != nil {
		t.Errorf("verdicts %v: want first and good confirmed", got)
	}
	if !errors.Is(got["bad"], oftable.ErrInvalidMeter) {
		t.Errorf("bad: %v, want the switch's invalid-meter error", got["bad"])
	}
	sends := sw.sends()
	if len(sends) != 5 {
		t.Fatalf("%d barriers, want 5", len(sends))
	}
	if mm, ok := sends[3][0].(of13.MeterMod); !ok || mm.Command != of13.ModModify {
		t.Errorf("retry of good began with %v, want a meter modify", sends[3][0])
	}
}

// Without a switch a change fails at once, and Apply says why.
func TestCommitWithoutSwitch(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	err := m.Apply(context.Background(), 1, []of13.Message{of13.AddFlow(callFlow(30, 0))})
	if !errors.Is(err, ErrNotConnected) {
		t.Errorf("Apply without a switch: %v, want ErrNotConnected", err)
	}
	v := newVerdicts()
	m.Commit(99, Change{}, v.of("unknown"))
	if got := v.wait(t, 1); !errors.Is(got["unknown"], ErrUnknownDP) {
		t.Errorf("Commit to an unknown DP: %v", got["unknown"])
	}
}

// A change sent Alone is not merged: its refusal leaves the changes
// queued beside it in their group, confirmed with one barrier.
func TestCommitAloneIsNotMerged(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newSlowSwitch(1)
	sw.connect(t, m)
	v := newVerdicts()
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(60, 0))}}, v.of("first"))
	for len(sw.sends()) == 0 {
		time.Sleep(time.Millisecond)
	}
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(61, 0))}}, v.of("a"))
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(62, 0x1999))}, Alone: true}, v.of("replay"))
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(63, 0))}}, v.of("b"))
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(64, 0))}}, v.of("c"))
	m.drainDP(t, 1)
	for range 4 { // first; a; replay; b and c
		sw.reply(t)
	}
	got := v.wait(t, 5)
	for _, k := range []string{"first", "a", "b", "c"} {
		if got[k] != nil {
			t.Errorf("%s: %v", k, got[k])
		}
	}
	if got["replay"] == nil {
		t.Error("the refused change was confirmed")
	}
	sends := sw.sends()
	if len(sends) != 4 || len(sends[3]) != 2 {
		t.Errorf("%d barriers (last with %d messages), want 4, the last for b and c together", len(sends), len(sends[len(sends)-1]))
	}
}

// Every store sends through the one group commit: the DP's own store's
// connect diff goes in a group of its own, its deletes kept before its adds
// by an in-band barrier; learned hosts overtake another store's change in
// flight (a switch round trip never delays learning), and what that store
// queued meanwhile waits for its barrier.
func TestEveryStoreSendsThroughTheGroupCommit(t *testing.T) {
	cfg := mustConfig(t, twoVLANs)
	m := startManager(t, cfg, Options{Clock: newFakeClock()})
	sw := newSlowSwitch(1)
	stale := of13.Flow{Table: 0, Priority: 9999, Match: of13.NewMatch(of13.InPort(77)), Cookie: cfg.DPs[0].Cookie}
	if err := sw.t.AddFlows(stale); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { m.SwitchConnected(context.Background(), sw); close(done) }()
	sw.reply(t)
	<-done
	sends := sw.sends()
	if len(sends) != 1 {
		t.Fatalf("connect sent %d groups, want its diff as one", len(sends))
	}
	diff := sends[0]
	if fm, ok := diff[0].(of13.FlowMod); !ok || fm.Command != of13.FlowDeleteStrict || fm.Key() != stale.Key() {
		t.Fatalf("diff began with %v, want the stale flow's delete", diff[0])
	}
	if _, ok := diff[1].(of13.BarrierRequest); !ok {
		t.Fatalf("diff's second message %v, want a barrier request between deletes and adds", diff[1])
	}
	for _, msg := range diff[2:] {
		if fm, ok := msg.(of13.FlowMod); !ok || fm.Command != of13.FlowAdd {
			t.Fatalf("diff's adds phase holds %v", msg)
		}
	}

	v := newVerdicts()
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(40, 0))}}, v.of("a"))
	for len(sw.sends()) < 2 {
		time.Sleep(time.Millisecond)
	}
	// a is in flight: b waits for its barrier, a host learned now does not.
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(41, 0))}}, v.of("b"))
	m.SwitchPacketIn(sw, packetInOn(1, frame(hostA, "ff:ff:ff:ff:ff:ff", 100, 0x0806,
		arpRequest(hostA, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}))))
	m.drainDP(t, 1)
	sends = sw.sends()
	if len(sends) != 3 {
		t.Fatalf("%d groups sent while a was in flight, want 1 (the learned host)", len(sends)-2)
	}
	mac, _ := net.ParseMAC(hostA)
	if !hasHostFlow(sends[2], mac) || hasCookie(sends[2], callFlow(41, 0).Cookie) {
		t.Errorf("group sent while a was in flight: %v; want the learned host's flows alone", sends[2])
	}
	sw.reply(t) // a
	sw.reply(t) // the host
	sw.reply(t) // b
	if got := v.wait(t, 2); got["a"] != nil || got["b"] != nil {
		t.Fatalf("verdicts %v", got)
	}
	if sends = sw.sends(); len(sends) != 4 || !hasCookie(sends[3], callFlow(41, 0).Cookie) {
		t.Errorf("%d groups, want 4, the last b's", len(sends))
	}
}

func hasHostFlow(msgs []of13.Message, mac net.HardwareAddr) bool {
	for _, msg := range msgs {
		if fm, ok := msg.(of13.FlowMod); ok {
			if src, ok := fm.Match.Get(of13.FieldEthSrc); ok && net.HardwareAddr(src.Bytes()).String() == mac.String() {
				return true
			}
		}
	}
	return false
}

func hasCookie(msgs []of13.Message, cookie uint64) bool {
	for _, msg := range msgs {
		if fm, ok := msg.(of13.FlowMod); ok && fm.Cookie == cookie {
			return true
		}
	}
	return false
}

// Learned hosts keep at most one barrier of theirs outstanding: a batch
// learned meanwhile goes out behind none and is confirmed by the next
// batch's barrier, never by a message of its own, except before the next
// group of another store, so that its errors are never that group's.
func TestOvertakingBatchesShareABarrier(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newSlowSwitch(1)
	sw.connect(t, m)
	learn := func(mac string, port uint32) {
		m.SwitchPacketIn(sw, packetInOn(port, frame(mac, "ff:ff:ff:ff:ff:ff", 100, 0x0806,
			arpRequest(mac, [4]byte{10, 0, 0, byte(port)}, [4]byte{10, 0, 0, 9}))))
		m.drainDP(t, 1)
	}
	learn(hostA, 1)
	if n := len(sw.sends()); n != 1 {
		t.Fatalf("first learned host: %d barriers, want 1", n)
	}
	learn("0e:00:00:00:00:0b", 2)
	if n := len(sw.sends()); n != 1 {
		t.Fatalf("second host while the first's barrier is out: %d barriers, want still 1", n)
	}
	if !slicesContainsSrc(sw.flows(), "0e:00:00:00:00:0b") {
		t.Fatal("the second host's flows were held back")
	}
	sw.reply(t)
	m.drainDP(t, 1)
	if n := len(sw.sends()); n != 1 {
		t.Fatalf("the reply brought %d bare barriers, want none (the next batch carries one)", n-1)
	}
	learn("0e:00:00:00:00:0c", 1)
	sends := sw.sends()
	if len(sends) != 2 || !hasHostFlow(sends[1], mustMAC("0e:00:00:00:00:0c")) {
		t.Fatalf("third host: sends %v, want its flows behind the second barrier", sends)
	}
	learn("0e:00:00:00:00:0d", 2) // behind none again
	v := newVerdicts()
	m.Commit(1, Change{Flows: []of13.Message{of13.AddFlow(callFlow(50, 0))}}, v.of("call"))
	m.drainDP(t, 1)
	sends = sw.sends()
	if len(sends) != 4 || len(sends[2]) != 0 || !hasCookie(sends[3], callFlow(50, 0).Cookie) {
		t.Fatalf("sends %v: want a bare barrier for the fourth host, then the call's group", sends)
	}
	for range 3 {
		sw.reply(t)
	}
	if got := v.wait(t, 1); got["call"] != nil {
		t.Errorf("call: %v", got["call"])
	}
}

func mustMAC(s string) net.HardwareAddr {
	mac, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return mac
}

func slicesContainsSrc(flows []of13.Flow, mac string) bool {
	for _, f := range flows {
		if src, ok := f.Match.Get(of13.FieldEthSrc); ok && net.HardwareAddr(src.Bytes()).String() == mac {
			return true
		}
	}
	return false
}

// A change that takes a meter id another change queued beside it frees
// starts the next group: merged, its add would come before the delete and
// the delete would take the new meter with it.
func TestCommitNeverMergesAFreedMeterWithItsReuse(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newSlowSwitch(1)
	sw.connect(t, m)
	v := newVerdicts()
	m.Commit(1, Change{Pre: []of13.Message{meterAdd(0x1003)},
		Flows: []of13.Message{of13.AddFlow(callFlow(70, 0x1003))}}, v.of("first"))
	for len(sw.sends()) == 0 {
		time.Sleep(time.Millisecond)
	}
	// Behind it: the call on port 70 ends (its meter freed), and a new
	// call on port 71 takes the same meter id.
	m.Commit(1, Change{Flows: []of13.Message{of13.DeleteStrict(callFlow(70, 0x1003))},
		Post: []of13.Message{of13.MeterMod{Command: of13.ModDelete, Meter: of13.Meter{ID: 0x1003}}}}, v.of("end"))
	m.Commit(1, Change{Pre: []of13.Message{meterAdd(0x1003)},
		Flows: []of13.Message{of13.AddFlow(callFlow(71, 0x1003))}}, v.of("reuse"))
	m.drainDP(t, 1)
	for range 3 {
		sw.reply(t)
	}
	got := v.wait(t, 3)
	for _, k := range []string{"first", "end", "reuse"} {
		if got[k] != nil {
			t.Errorf("%s: %v", k, got[k])
		}
	}
	if n := len(sw.sends()); n != 3 {
		t.Errorf("%d groups, want 3 (the reuse apart from the delete)", n)
	}
	var has71 bool
	for _, f := range sw.flows() {
		if p, ok := f.Match.Get(of13.FieldInPort); ok && p.Uint() == 71 && f.Instr.Meter == 0x1003 {
			has71 = true
		}
	}
	if !has71 {
		t.Error("the new call's flow is gone: its meter was deleted after it was added")
	}
}
