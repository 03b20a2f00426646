package callstore

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

type outcomeLog struct {
	mu        sync.Mutex
	installed map[string][]Placed
	latency   map[string]time.Duration
	best      map[string]qos.Reason
}

func (o *outcomeLog) QoSInstalled(leg qos.Leg, _ time.Time, d time.Duration, st []Placed) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.installed[leg.ID] = append(o.installed[leg.ID], st...)
	o.latency[leg.ID] = d
}

func (o *outcomeLog) BestEffort(leg qos.Leg, _ time.Time, r qos.Reason) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.best[leg.ID] = r
}

// Each confirmed leg is reported with where its two streams are marked;
// a leg whose ends are nowhere is reported best effort, with the reason;
// a phone nowhere shows as a stream without in_port.
func TestOutcomesReportPlacementAndFallback(t *testing.T) {
	sw := newFakeSwitches(labLocator())
	out := &outcomeLog{installed: map[string][]Placed{}, latency: map[string]time.Duration{}, best: map[string]qos.Reason{}}
	e, _, ctx := startEngineWith(t, testPolicy(config.PinholeMark), sw, func(s *Store) { s.Outcomes = out })
	legs := twoLegs("c1")
	for _, l := range legs {
		if err := e.MediaKnown(ctx, l, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// c2.a: a phone nowhere on the network; its stream to the PBX is
	// marked at the PBX's switch, without in_port, once the wait for its
	// sender is over. c3.a: neither end is anywhere.
	half := qos.Leg{Server: "pbx1", Call: "c2", ID: "c2.a", Codec: "ulaw",
		Local: netip.AddrPortFrom(pbxIP, 10500), Remote: netip.MustParseAddrPort("10.9.9.9:20000")}
	lost := qos.Leg{Server: "pbx1", Call: "c3", ID: "c3.a", Codec: "ulaw",
		Local: netip.MustParseAddrPort("10.9.9.8:10000"), Remote: netip.MustParseAddrPort("10.9.9.9:20002")}
	for _, l := range []qos.Leg{half, lost} {
		if err := e.MediaKnown(ctx, l, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		sync1(t, e, ctx)
		out.mu.Lock()
		n, b := len(out.installed), len(out.best)
		out.mu.Unlock()
		if n == 3 && b == 1 && len(out.installed["c2.a"]) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	wantPort := map[string]uint32{"c1.a": 1, "c1.b": 2}
	for _, l := range legs {
		st := out.installed[l.ID]
		if len(st) != 2 {
			t.Fatalf("leg %s: %d streams reported, want 2: %+v", l.ID, len(st), st)
		}
		var from, to bool
		for _, p := range st {
			if p.DPID != 1 || p.DP != "sw1" || p.VID != 100 || p.DSCP != 46 || p.Meter == 0 {
				t.Errorf("leg %s: placement %+v", l.ID, p)
			}
			if p.ToPhone {
				to = p.InPort == 5 // sent by the PBX, marked at its port
			} else {
				from = p.InPort == wantPort[l.ID]
			}
		}
		if !from || !to {
			t.Errorf("leg %s: streams %+v, want one from the phone's port and one from the PBX's", l.ID, st)
		}
	}
	if out.best["c3.a"] != qos.ReasonLocationUnknown {
		t.Errorf("unlocated leg: best effort %q, want %q", out.best["c3.a"], qos.ReasonLocationUnknown)
	}
	if st, ok := out.installed["c3.a"]; ok {
		t.Errorf("unlocated leg reported installed at %+v", st)
	}
	st := out.installed["c2.a"]
	if len(st) != 2 {
		t.Fatalf("half-located leg: %+v, want two streams", st)
	}
	for _, p := range st {
		if p.ToPhone && p.InPort != 5 || !p.ToPhone && p.InPort != 0 {
			t.Errorf("half-located leg: %+v; want the phone's stream without in_port", p)
		}
	}
}
