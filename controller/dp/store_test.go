package dp

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// memStore is a Store in its simplest form: the flows it wants, by key,
// and a liveness predicate; it adopts what it wants and finds.
type memStore struct {
	mu      sync.Mutex
	want    []of13.Flow
	live    func(*of13.Flow) bool
	adopted []of13.Flow
	answers chan error
}

func (s *memStore) Cookies() controller.CookieMask {
	return controller.CookieMask{Cookie: 0x77 << 56, Mask: 0xff << 56}
}

func (s *memStore) Reconcile(_ uint64, st State, send func(Change, func(error))) {
	held := st.Flows
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range held {
		if slices.ContainsFunc(s.want, func(w of13.Flow) bool { return w.Key() == held[i].Key() }) {
			s.adopted = append(s.adopted, held[i])
		}
	}
	var c Change
	for _, f := range Missing(held, s.want) {
		c.Flows = append(c.Flows, of13.AddFlow(f))
	}
	c.Flows = append(c.Flows, Sweep(held, s.live)...)
	send(c, func(err error) { s.answers <- err })
}

func (s *memStore) answered(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.answers:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the store's change was not confirmed")
	}
}

func storeFlow(port uint32) of13.Flow {
	return of13.Flow{Table: 0, Priority: 9100, Cookie: 0x77<<56 | uint64(port),
		Match: of13.NewMatch(of13.InPort(port)), Instr: of13.Instructions{HasGoto: true, GotoTable: 1}}
}

func storeKey(port uint32) of13.FlowKey { f := storeFlow(port); return f.Key() }

func hasPort(flows []of13.Flow, port uint32) bool {
	return slices.ContainsFunc(flows, func(f of13.Flow) bool { return f.Key() == storeKey(port) })
}

// touches reports whether any flow-mod in msgs addresses port's flow.
func touches(msgs []of13.Message, port uint32) bool {
	for _, m := range msgs {
		if fm, ok := m.(of13.FlowMod); ok && fm.Flow.Key() == storeKey(port) {
			return true
		}
	}
	return false
}

// At connect a registered store gets its share of the DP's one read: what
// it wants and the switch holds is adopted untouched (so it keeps its
// counters), what it wants and the switch lacks is replayed, and what its
// liveness predicate does not keep is swept; the pipeline's resync leaves
// its share alone. After a reconnect to a switch that lost its tables,
// everything it wants is replayed.
func TestStoreAdoptedSweptAndReplayed(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	prog := compiled(t, m, 1)
	st := &memStore{want: []of13.Flow{storeFlow(41), storeFlow(42)}, answers: make(chan error, 4)}
	st.live = func(f *of13.Flow) bool { return f.Key() == storeKey(41) }
	m.Register(st)

	sw := newFakeSwitch(1)
	if err := sw.t.AddFlows(append(prog.AllFlows(), storeFlow(41), storeFlow(43))...); err != nil {
		t.Fatal(err)
	}
	m.SwitchConnected(context.Background(), sw)
	st.answered(t)
	flows, sent := sw.flows(), sw.takeSent()
	if !hasPort(flows, 41) || !hasPort(flows, 42) || hasPort(flows, 43) {
		t.Errorf("store flows after connect: 41 %v, 42 %v, 43 %v; want 41 and 42 only",
			hasPort(flows, 41), hasPort(flows, 42), hasPort(flows, 43))
	}
	if touches(sent, 41) {
		t.Error("the adopted flow was rewritten, losing its counters")
	}
	st.mu.Lock()
	adopted := len(st.adopted)
	st.mu.Unlock()
	if adopted != 1 {
		t.Errorf("%d flows adopted, want 1", adopted)
	}

	// The switch restarts with empty tables.
	m.Disconnected(1, nil)
	sw2 := newFakeSwitch(1)
	m.SwitchConnected(context.Background(), sw2)
	st.answered(t)
	if flows := sw2.flows(); !hasPort(flows, 41) || !hasPort(flows, 42) {
		t.Error("the store's flows were not replayed after the reconnect")
	}
}

// A store may ask for its share again (to sweep once its liveness is
// known): the read is the switch's, the change goes through the group
// commit.
func TestStoreReconcileOnRequest(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	st := &memStore{want: []of13.Flow{storeFlow(51)}, answers: make(chan error, 4),
		live: func(*of13.Flow) bool { return true }}
	sw := newFakeSwitch(1)
	m.SwitchConnected(context.Background(), sw) // before the store registers
	m.Register(st)
	if err := sw.t.AddFlows(storeFlow(52)); err != nil {
		t.Fatal(err)
	}
	st.live = func(*of13.Flow) bool { return false }
	if err := m.Reconcile(context.Background(), 1, st); err != nil {
		t.Fatal(err)
	}
	st.answered(t)
	if flows := sw.flows(); !hasPort(flows, 51) || hasPort(flows, 52) {
		t.Errorf("after the store's reconcile: 51 %v, 52 %v; want 51 only", hasPort(flows, 51), hasPort(flows, 52))
	}
	if err := m.Reconcile(context.Background(), 9, st); err == nil {
		t.Error("Reconcile of an unknown DP succeeded")
	}
}
