package dp

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// fakeSwitch is an in-memory switch: messages are applied to an oftable.
type fakeSwitch struct {
	id uint64
	mu sync.Mutex
	t  *oftable.Table
	// sent records every message since the last reset.
	sent   []of13.Message
	closed bool
	err    error
	// refuse makes the switch reject every flow-mod, as a full table
	// would: the barrier after them reports an error.
	refuse bool
}

func newFakeSwitch(id uint64) *fakeSwitch {
	return &fakeSwitch{id: id, t: oftable.New(oftable.Config{})}
}

func (f *fakeSwitch) ID() uint64 { return f.id }

func (f *fakeSwitch) Send(_ context.Context, msgs []of13.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("closed")
	}
	// sent records what changes state; barrier requests only order it.
	for _, m := range msgs {
		if _, ok := m.(of13.BarrierRequest); !ok {
			f.sent = append(f.sent, m)
		}
	}
	if f.refuse {
		var rest []of13.Message
		for _, m := range msgs {
			if _, ok := m.(of13.FlowMod); ok {
				if f.err == nil {
					f.err = &of13.Error{Type: of13.ErrFlowModFailed, Code: 1} // OFPFMFC_TABLE_FULL
				}
				continue
			}
			rest = append(rest, m)
		}
		msgs = rest
	}
	if err := f.t.Apply(msgs...); err != nil && f.err == nil {
		f.err = err
	}
	return nil
}

func (f *fakeSwitch) Barrier(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.err
	f.err = nil
	return err
}

func (f *fakeSwitch) SendWithBarrier(ctx context.Context, msgs []of13.Message, done func(error)) error {
	if err := f.Send(ctx, msgs); err != nil {
		return err
	}
	err := f.Barrier(ctx)
	go done(err) // as the session layer does: on another goroutine
	return nil
}

func (f *fakeSwitch) State(context.Context) (State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return State{Flows: f.t.Flows(), Meters: f.t.Meters(), Groups: f.t.Groups()}, nil
}

func (f *fakeSwitch) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// takeSent returns and clears the messages sent so far.
func (f *fakeSwitch) takeSent() []of13.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sent
	f.sent = nil
	return s
}

func (f *fakeSwitch) flows() []of13.Flow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t.Flows()
}

// fakeClock is stepped by tests; its tickers fire on Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Unbuffered: Advance returns only once the DP's goroutine has taken
	// the tick, so a request sent after it (syncDP) is served after the
	// tick's work, whatever order the goroutine's select would pick.
	ch := make(chan time.Time)
	c.tickers = append(c.tickers, ch)
	return ch, func() {}
}

// Advance moves the clock and fires every ticker once, handing each tick
// to its reader (a ticker nobody reads any more, of a DP that stopped, is
// given up on after a second).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now, ts := c.now, append([]chan time.Time(nil), c.tickers...)
	c.mu.Unlock()
	for _, t := range ts {
		select {
		case t <- now:
		case <-time.After(time.Second):
		}
	}
}

// mustConfig validates YAML text.
func mustConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.LoadFileBytes("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// startManager runs a Manager with cfg until the test ends.
func startManager(t *testing.T, cfg *config.Config, opts Options) *Manager {
	t.Helper()
	m := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := m.SetConfig(ctx, cfg); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	return m
}

// sync waits until DP dpid's goroutine has handled everything queued so far.
func (m *Manager) syncDP(t *testing.T, dpid uint64) {
	t.Helper()
	m.drainDP(t, dpid)
	// And until the group commit has sent and heard back what was queued.
	r := m.runner(dpid)
	for i := 0; i < 1000 && !r.commits.idle(); i++ {
		time.Sleep(time.Millisecond)
	}
}

// drainDP waits until the DP has handled its queued packet-ins.
func (m *Manager) drainDP(t *testing.T, dpid uint64) {
	t.Helper()
	r := m.runner(dpid)
	for i := 0; i < 1000; i++ {
		if len(r.queues[ClassLearn]) == 0 && len(r.queues[ClassControl]) == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := r.do(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// idle reports whether nothing is queued or in flight.
func (q *commits) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.busy && len(q.queue) == 0 && len(q.retry) == 0 &&
		len(q.overtake) == 0 && len(q.unconfirmed) == 0 && q.overtakeOut == 0
}

// frame builds an Ethernet frame tagged with vid.
func frame(src, dst string, vid uint16, ethType uint16, payload []byte) []byte {
	s, _ := net.ParseMAC(src)
	d, _ := net.ParseMAC(dst)
	b := append([]byte{}, d...)
	b = append(b, s...)
	if vid != 0 {
		b = append(b, 0x81, 0x00, byte(vid>>8), byte(vid))
	}
	b = append(b, byte(ethType>>8), byte(ethType))
	return append(b, payload...)
}

// arpRequest is an ARP request payload from sha/spa for tpa.
func arpRequest(sha string, spa, tpa [4]byte) []byte {
	mac, _ := net.ParseMAC(sha)
	b := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	b = append(b, mac...)
	b = append(b, spa[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, tpa[:]...)
}

func packetInOn(port uint32, data []byte) *of13.PacketIn {
	return &of13.PacketIn{Match: of13.NewMatch(of13.InPort(port)), Data: data, Table: 3}
}

// dataPorts is the ports a packet leaves on, the controller left out (the
// probe's own unknown source is sent there for learning).
func (f *fakeSwitch) dataPorts(p oftable.Packet) []uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint32
	for _, n := range f.t.OutPorts(p) {
		if n != of13.PortController {
			out = append(out, n)
		}
	}
	return out
}
