package dp

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

const twoDPs = `
vlans:
  office: {vid: 100}
acls:
  lim:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 5060, actions: {allow: 1, meter: m}}
    - rule: {actions: {allow: 1}}
meters:
  m:
    meter_id: 7
    entry: {flags: [KBPS], bands: [{type: DROP, rate: 512}]}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
  sw2:
    dp_id: 2
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office, acls_in: [lim]}
`

// A configuration that one DP cannot compile is applied nowhere: the DP
// that could compile it keeps its flows, and the recorded configuration
// is the old one; the error names the DP that failed.
func TestSetConfigAllOrNothing(t *testing.T) {
	old := mustConfig(t, twoDPs)
	m := startManager(t, old, Options{Clock: newFakeClock()})
	ctx := context.Background()
	sw := newFakeSwitch(1)
	m.SwitchConnected(ctx, sw)
	before := sw.flows()
	sw.takeSent()

	// sw1 gains a port; sw2's meter gets a band no switch knows, which
	// only the compiler (not the loader) sees, as it would a defect.
	next := mustConfig(t, strings.Replace(twoDPs, "      1: {native_vlan: office}\n  sw2:",
		"      1: {native_vlan: office}\n      2: {native_vlan: office}\n  sw2:", 1))
	if next.DP("sw1").Port(2) == nil {
		t.Fatal("test config edit did not apply")
	}
	for _, mt := range next.DP("sw2").Meters {
		mt.Entry.Bands[0].Type = "BOGUS"
	}
	err := m.SetConfig(ctx, next)
	if err == nil || !strings.Contains(err.Error(), "sw2") {
		t.Fatalf("SetConfig = %v; want an error naming sw2", err)
	}
	if m.Config() != old {
		t.Error("the recorded configuration changed")
	}
	if sent := sw.takeSent(); len(sent) != 0 {
		t.Errorf("sw1 was sent %d messages for a configuration that was not applied", len(sent))
	}
	sameFlows(t, sw.flows(), before)
	if p := compiled(t, m, 1); p.Flows["port:2"] != nil {
		t.Error("sw1 runs a program with port 2")
	}
}

// heldSwitch is a fakeSwitch whose barrier answers wait until release:
// a switch slow to confirm.
type heldSwitch struct {
	*fakeSwitch
	hold    atomic.Bool
	release chan struct{}
}

func (h *heldSwitch) Barrier(ctx context.Context) error {
	if h.hold.Load() {
		select {
		case <-h.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return h.fakeSwitch.Barrier(ctx)
}

func (h *heldSwitch) SendWithBarrier(ctx context.Context, msgs []of13.Message, done func(error)) error {
	if err := h.fakeSwitch.Send(ctx, msgs); err != nil {
		return err
	}
	go func() { done(h.Barrier(context.Background())) }()
	return nil
}

// Apply (the per-call store's path to a switch) waits for the barrier
// without holding the DP's goroutine: while one switch is slow to confirm,
// the DP goes on serving other requests, and Apply returns once the
// switch answers.
func TestApplyDoesNotHoldTheDP(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	ctx := context.Background()
	sw := &heldSwitch{fakeSwitch: newFakeSwitch(1), release: make(chan struct{})}
	m.SwitchConnected(ctx, sw) // its sync is answered at once
	sw.hold.Store(true)

	applied := make(chan error, 1)
	flow := of13.Flow{Table: 0, Priority: 9000, Match: of13.NewMatch(of13.InPort(9)), Cookie: 0x5643<<48 | 1}
	sw.takeSent()
	go func() { applied <- m.Apply(ctx, 1, []of13.Message{of13.AddFlow(flow)}) }()
	for len(sw.takeSent()) == 0 { // the flow is on its way; its barrier is held
		time.Sleep(time.Millisecond)
	}

	// The DP answers a request that needs its goroutine meanwhile.
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := m.Flows(rctx, 1, 0x5643<<48, 0xffff<<48); err != nil {
		t.Fatalf("the DP did not answer while a barrier was pending: %v", err)
	}
	select {
	case err := <-applied:
		t.Fatalf("Apply returned (%v) before the switch confirmed", err)
	default:
	}
	close(sw.release)
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
}
