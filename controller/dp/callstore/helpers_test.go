package callstore

import (
	"net/netip"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
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
