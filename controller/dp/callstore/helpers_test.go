package callstore

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

type fakeLocator map[netip.Addr]qos.Location

func (f fakeLocator) Locate(ip netip.Addr) (qos.Location, bool) { l, ok := f[ip]; return l, ok }

func testPolicy(mode string) *config.QoS {
	q := uint32(5)
	return &config.QoS{
		VoiceDSCP: 46, SignallingDSCP: 24, SIPPorts: []uint16{5060},
		Queue: &q, RTPPortRange: [2]uint16{10000, 10999},
		CodecKbps: map[string]float64{"ulaw": 87.2, "g729": 31.2}, DefaultKbps: 87.2,
		HeadroomPercent: 10, Pinhole: mode, IdleTimeout: 60 * time.Second, MaxCalls: 100,
		PBXAddresses: []netip.Addr{netip.MustParseAddr("10.254.0.1")},
	}
}

// fakeClock is a Clock that moves only when a test steps it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Step moves the clock on by d and runs the timers that are then due.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t.f)
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// testSwitches is what the tests' fake switches implement: the planner's
// view, a change applied and answered at once, and a read of the per-call
// flows.
type testSwitches interface {
	qos.Locator
	Placement(dpid uint64) (qos.Placement, bool)
	Apply(ctx context.Context, dpid uint64, b qos.Batch) error
	CallFlows(ctx context.Context, dpid uint64) ([]of13.Flow, error)
}

// serial adapts testSwitches to Switches as dp does: changes are applied
// in order, one at a time, on a goroutine of its own, and their verdicts
// handed back by callback; a read's flows go to the store's Reconcile.
// It does not merge changes (dp's own tests cover the group commit).
type serial struct {
	testSwitches
	mu      sync.Mutex
	queue   []func()
	running bool
}

func viaDP(sw testSwitches) *serial { return &serial{testSwitches: sw} }

func (s *serial) Commit(dpid uint64, c dp.Change, done func(error)) {
	b := batchOf(c)
	f := func() {
		err := s.Apply(context.Background(), dpid, b)
		if done != nil {
			done(err)
		}
	}
	s.mu.Lock()
	s.queue = append(s.queue, f)
	start := !s.running
	s.running = true
	s.mu.Unlock()
	if start {
		go s.drain()
	}
}

func (s *serial) drain() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		f := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		f()
	}
}

func (s *serial) Reconcile(ctx context.Context, dpid uint64, st dp.Store) error {
	flows, err := s.CallFlows(ctx, dpid)
	if err != nil {
		return err
	}
	st.Reconcile(dpid, dp.State{Flows: flows}, func(c dp.Change, done func(error)) { s.Commit(dpid, c, done) })
	return nil
}

func (s *serial) Probe(ip netip.Addr) {
	if p, ok := s.testSwitches.(qos.Prober); ok {
		p.Probe(ip)
	}
}

// batchOf is a change as the fakes apply it.
func batchOf(c dp.Change) qos.Batch {
	var b qos.Batch
	for _, m := range c.Pre {
		b.MeterAdds = append(b.MeterAdds, m.(of13.MeterMod))
	}
	for _, m := range c.Flows {
		b.Flows = append(b.Flows, m.(of13.FlowMod))
	}
	for _, m := range c.Post {
		b.MeterDeletes = append(b.MeterDeletes, m.(of13.MeterMod))
	}
	return b
}

// errMeterExists is a switch's answer to a meter add whose id is in use.
var errMeterExists = &of13.Error{Type: of13.ErrMeterModFailed, Code: 1} // OFPMMFC_METER_EXISTS

func (s *serial) Homed(ip netip.Addr) bool {
	h, ok := s.testSwitches.(qos.Homes)
	return ok && h.Homed(ip)
}
