package qos

import (
	"net/netip"
	"slices"
	"testing"
)

func legIDs(c *call) []string {
	var ids []string
	for _, l := range c.legs() {
		ids = append(ids, l.id)
	}
	return ids
}

// A call keeps two legs inline and moves to a slice at the third, as a
// transfer or a conference brings; dropping legs works in both forms.
func TestCallRecordLegs(t *testing.T) {
	c := &call{id: "c", cookie: CallCookie("pbx", "c")}
	for _, id := range []string{"a", "b"} {
		c.addLeg(legRecord{id: id})
	}
	if c.more != nil || !slices.Equal(legIDs(c), []string{"a", "b"}) {
		t.Fatalf("two legs: inline %d, more %v, legs %v", c.ninline, c.more, legIDs(c))
	}
	c.dropLeg(0)
	if got := legIDs(c); !slices.Equal(got, []string{"b"}) || c.inline[1].id != "" {
		t.Fatalf("after dropping a: %v (inline %+v)", got, c.inline)
	}
	for _, id := range []string{"c", "d"} {
		c.addLeg(legRecord{id: id})
	}
	if c.more == nil || c.ninline != 0 || !slices.Equal(legIDs(c), []string{"b", "c", "d"}) {
		t.Fatalf("three legs: inline %d, legs %v", c.ninline, legIDs(c))
	}
	if i := c.leg("c"); i != 1 {
		t.Fatalf("leg c at %d, want 1", i)
	}
	c.dropLeg(1)
	c.dropLeg(0)
	c.dropLeg(0)
	if !c.empty() {
		t.Fatalf("legs left: %v", legIDs(c))
	}
}

// A leg's streams are rebuilt with the direction they were planned in.
func TestLegRecordStreams(t *testing.T) {
	local, remote := netip.MustParseAddrPort("10.254.0.1:10000"), netip.MustParseAddrPort("10.254.0.201:20000")
	l := legRecord{id: "a", local: local, remote: remote}
	if !l.add(stream{dpid: 1, meter: MeterIDBase, rule: flowRule{fromLocal: false}}) ||
		!l.add(stream{dpid: 1, meter: MeterIDBase + 1, rule: flowRule{fromLocal: true}}) {
		t.Fatal("two streams should fit")
	}
	if l.add(stream{dpid: 1, meter: MeterIDBase + 2}) {
		t.Fatal("a third stream was accepted")
	}
	used := l.used()
	if up := l.spec(7, &used[0]); up.src != remote || up.dst != local || up.cookie != 7 {
		t.Errorf("first stream %v -> %v, want phone to PBX", up.src, up.dst)
	}
	if down := l.spec(7, &used[1]); down.src != local || down.dst != remote {
		t.Errorf("second stream %v -> %v, want PBX to phone", down.src, down.dst)
	}
	if n := l.remove(7, 1, MeterIDBase); n != 2 || len(l.used()) != 1 || l.used()[0].meter != MeterIDBase+1 {
		t.Fatalf("remove: %d flows, left %+v", n, l.used())
	}
	if n := l.remove(7, 2, MeterIDBase+1); n != 0 {
		t.Fatalf("removed a stream of another datapath: %d flows", n)
	}
}

// Meter ids go round-robin through the per-call range, skip ids in use
// (taken from a switch after a restart), and run out only when all are
// used.
func TestMeterIDs(t *testing.T) {
	m := newMeterIDs()
	m.take(MeterIDBase + 1)
	m.take(7) // not ours: ignored
	a, _ := m.alloc()
	b, _ := m.alloc()
	if a != MeterIDBase || b != MeterIDBase+2 {
		t.Fatalf("allocated %#x, %#x; want %#x, %#x", a, b, MeterIDBase, MeterIDBase+2)
	}
	m.free(a)
	if c, _ := m.alloc(); c != MeterIDBase+3 {
		t.Fatalf("a freed id came back at once: %#x", c)
	}
	for m.n < MeterIDCount {
		if _, ok := m.alloc(); !ok {
			t.Fatalf("ran out with %d of %d in use", m.n, MeterIDCount)
		}
	}
	if id, ok := m.alloc(); ok {
		t.Fatalf("allocated %#x from a full range", id)
	}
	m.free(MeterIDBase + 5)
	if id, ok := m.alloc(); !ok || id != MeterIDBase+5 {
		t.Fatalf("after one free: %#x %v", id, ok)
	}
}
