package callstore

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/qos"
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
	c := &call{id: "c", cookie: qos.CallCookie("pbx", "c")}
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
	l := newLegRecord(qos.Leg{ID: "a", Local: local, Remote: remote})
	if !l.add(stream{dpid: 1, meter: qos.MeterIDBase, rule: qos.Rule{FromLocal: false}}) ||
		!l.add(stream{dpid: 1, meter: qos.MeterIDBase + 1, rule: qos.Rule{FromLocal: true}}) {
		t.Fatal("two streams should fit")
	}
	if l.add(stream{dpid: 1, meter: qos.MeterIDBase + 2}) {
		t.Fatal("a third stream was accepted")
	}
	used := l.used()
	if up := l.spec(7, &used[0]); up.Src != remote || up.Dst != local || up.Cookie != 7 {
		t.Errorf("first stream %v -> %v, want phone to PBX", up.Src, up.Dst)
	}
	if down := l.spec(7, &used[1]); down.Src != local || down.Dst != remote {
		t.Errorf("second stream %v -> %v, want PBX to phone", down.Src, down.Dst)
	}
	if n := l.remove(7, 1, qos.MeterIDBase); n != 2 || len(l.used()) != 1 || l.used()[0].meter != qos.MeterIDBase+1 {
		t.Fatalf("remove: %d flows, left %+v", n, l.used())
	}
	if n := l.remove(7, 2, qos.MeterIDBase+1); n != 0 {
		t.Fatalf("removed a stream of another datapath: %d flows", n)
	}
}

// Meter ids go round-robin through the per-call range, skip ids in use
// (taken from a switch after a restart), and run out only when all are
// used.
func TestMeterIDs(t *testing.T) {
	m := newMeterIDs()
	m.take(qos.MeterIDBase + 1)
	m.take(7) // not ours: ignored
	a, _ := m.alloc()
	b, _ := m.alloc()
	if a != qos.MeterIDBase || b != qos.MeterIDBase+2 {
		t.Fatalf("allocated %#x, %#x; want %#x, %#x", a, b, qos.MeterIDBase, qos.MeterIDBase+2)
	}
	m.free(a)
	if c, _ := m.alloc(); c != qos.MeterIDBase+3 {
		t.Fatalf("a freed id came back at once: %#x", c)
	}
	for m.n < qos.MeterIDCount {
		if _, ok := m.alloc(); !ok {
			t.Fatalf("ran out with %d of %d in use", m.n, qos.MeterIDCount)
		}
	}
	if id, ok := m.alloc(); ok {
		t.Fatalf("allocated %#x from a full range", id)
	}
	m.free(qos.MeterIDBase + 5)
	if id, ok := m.alloc(); !ok || id != qos.MeterIDBase+5 {
		t.Fatalf("after one free: %#x %v", id, ok)
	}
}
