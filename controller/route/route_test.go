package route

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestResolverBackoffAndBudget(t *testing.T) {
	r := NewResolver(Backoff{First: time.Second, Max: 8 * time.Second, Expire: 30 * time.Second, Budget: 2})
	gw := ip("10.0.0.1")
	r.Want(gw, 100, t0)
	var times []time.Duration
	for s := 0; s <= 40; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		probes, _ := r.Due(now)
		for range probes {
			times = append(times, now.Sub(t0))
		}
	}
	// Probes at 0, 1, 3, 7, 15, 23, 31, 39 s: the wait doubles to the cap.
	want := []time.Duration{0, 1, 3, 7, 15, 23, 31, 39}
	if len(times) != len(want) {
		t.Fatalf("probe times %v, want %v", times, want)
	}
	for i := range want {
		if times[i] != want[i]*time.Second {
			t.Fatalf("probe times %v, want %v (seconds)", times, want)
		}
	}

	// A storm of unresolvable hosts costs at most Budget probes per tick,
	// and every host is probed eventually.
	for i := 0; i < 10; i++ {
		r.Want(netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}), 100, t0)
	}
	seen := map[netip.Addr]bool{}
	for s := 0; s < 6; s++ {
		probes, _ := r.Due(t0.Add(time.Duration(50+s) * time.Millisecond))
		if len(probes) > 2 {
			t.Fatalf("tick %d sent %d probes over budget 2", s, len(probes))
		}
		for _, p := range probes {
			seen[p.IP] = true
		}
	}
	if len(seen) < 10 {
		t.Fatalf("only %d of 10 hosts probed", len(seen))
	}
}

func TestResolverLearnExpireForget(t *testing.T) {
	r := NewResolver(Backoff{First: time.Second, Max: time.Minute, Expire: 30 * time.Second, Budget: 10})
	gw := ip("10.0.0.1")
	mac := net.HardwareAddr{0x0e, 0, 0, 0, 0, 1}
	r.Want(gw, 100, t0)
	if !r.Learned(Neighbor{IP: gw, MAC: mac, VID: 100, Port: 3}, t0) {
		t.Fatal("first binding must be a change")
	}
	if r.Learned(Neighbor{IP: gw, MAC: mac, VID: 100, Port: 3}, t0.Add(time.Second)) {
		t.Fatal("the same binding again is not a change")
	}
	if !r.Learned(Neighbor{IP: gw, MAC: mac, VID: 100, Port: 4}, t0.Add(2*time.Second)) {
		t.Fatal("a port move is a change")
	}
	if p, _ := r.Due(t0.Add(10 * time.Second)); len(p) != 0 {
		t.Fatalf("a fresh neighbour must not be probed: %v", p)
	}
	// After expiry: three refresh probes a second apart, then it is gone
	// and, being wanted, resolution starts over.
	var gone []netip.Addr
	probes := 0
	for s := 32; s < 40; s++ {
		p, g := r.Due(t0.Add(time.Duration(s) * time.Second))
		probes += len(p)
		gone = append(gone, g...)
	}
	if len(gone) != 1 || gone[0] != gw {
		t.Fatalf("gone = %v after %d probes", gone, probes)
	}
	if _, ok := r.Lookup(gw); ok {
		t.Fatal("a silent neighbour must be forgotten")
	}
	if len(r.Pending()) != 1 {
		t.Fatal("a wanted neighbour goes back to pending")
	}
}

func TestRIBBestPathAndNextHopIndex(t *testing.T) {
	rib := NewRIB([]Connected{{Prefix: netip.MustParsePrefix("10.0.0.0/24"), VID: 100, VIP: ip("10.0.0.254")}})
	p := netip.MustParsePrefix("198.51.100.0/24")
	if _, _, changed := rib.Set(Route{Prefix: p, NextHop: ip("10.0.0.2"), Source: SourceBGP}); !changed {
		t.Fatal("first route is a change")
	}
	if _, _, changed := rib.Set(Route{Prefix: p, NextHop: ip("10.0.0.2"), Source: SourceBGP}); changed {
		t.Fatal("the same route again is no change")
	}
	// A static route wins over BGP.
	_, after, changed := rib.Set(Route{Prefix: p, NextHop: ip("10.0.0.1"), Source: SourceStatic})
	if !changed || after.NextHop != ip("10.0.0.1") {
		t.Fatalf("static must override BGP: %+v", after)
	}
	if len(rib.Using(ip("10.0.0.2"))) != 0 || len(rib.Using(ip("10.0.0.1"))) != 1 {
		t.Fatal("next hop index not updated")
	}
	// A BGP change under a static route changes nothing in the FIB.
	if _, _, changed := rib.Set(Route{Prefix: p, NextHop: ip("10.0.0.3"), Source: SourceBGP}); changed {
		t.Fatal("a shadowed BGP change must not reprogram the FIB")
	}
	_, after, _ = rib.Delete(p, SourceStatic)
	if after.NextHop != ip("10.0.0.3") {
		t.Fatalf("after the static route goes, BGP's is best: %+v", after)
	}
	lookup := func(a netip.Addr) (Neighbor, bool) {
		return Neighbor{IP: a, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, VID: 100}, a == ip("10.0.0.3")
	}
	if e, ok := rib.Entry(p, lookup); !ok || e.NextHop != ip("10.0.0.3") {
		t.Fatalf("entry: %+v %v", e, ok)
	}
	if c, ok := rib.ConnectedFor(ip("10.0.0.3")); !ok || c.VID != 100 {
		t.Fatal("next hop's connected subnet not found")
	}
	rib.Delete(p, SourceBGP)
	if len(rib.Routes()) != 0 || rib.NextHopUsed(ip("10.0.0.3")) {
		t.Fatal("route not removed")
	}
}
