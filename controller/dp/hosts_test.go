package dp

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
)

func TestHostIndex(t *testing.T) {
	h := newHostIndex()
	macA, _ := net.ParseMAC("0e:00:00:00:00:0a")
	macB, _ := net.ParseMAC("0e:00:00:00:00:0b")
	ip1, ip2 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fc00::2")

	h.learnIP(ip1, macA) // MAC not learned yet: ignored
	if _, ok := h.locateIP(ip1); ok {
		t.Fatal("an address of an unlearned MAC was indexed")
	}
	h.learnMAC(Location{DP: "sw1", DPID: 1, Port: 1, VID: 100, MAC: macA})
	h.learnMAC(Location{DP: "sw2", DPID: 2, Port: 5, VID: 100, MAC: macB})
	h.learnIP(ip1, macA)
	h.learnIP(netip.MustParseAddr("::ffff:10.0.0.1"), macA) // the same address, v4-mapped
	h.learnIP(ip2, macA)
	if loc, ok := h.locateIP(ip1); !ok || loc.Port != 1 || loc.DPID != 1 {
		t.Fatalf("locateIP(%s) = %+v, %v", ip1, loc, ok)
	}
	if h.count(1) != 1 || h.count(2) != 1 {
		t.Fatalf("counts %d, %d; want 1, 1", h.count(1), h.count(2))
	}

	// An address taken over by another MAC leaves the first.
	h.learnIP(ip2, macB)
	if loc, _ := h.locateIP(ip2); loc.DPID != 2 {
		t.Fatalf("%s still on %+v after moving to B", ip2, loc)
	}
	// A move to another DP moves the count.
	h.learnMAC(Location{DP: "sw2", DPID: 2, Port: 6, VID: 100, MAC: macA})
	if h.count(1) != 0 || h.count(2) != 2 {
		t.Fatalf("after the move counts %d, %d; want 0, 2", h.count(1), h.count(2))
	}
	// Forgetting on the wrong DP does nothing; on the right one it drops
	// the MAC and its own addresses only.
	h.forget(1, 100, macA)
	if _, ok := h.locateMAC(macA); !ok {
		t.Fatal("forget on a DP the host left removed it")
	}
	h.forget(2, 100, macA)
	if _, ok := h.locateIP(ip1); ok {
		t.Error("A's address survived forgetting A")
	}
	if _, ok := h.locateIP(ip2); !ok {
		t.Error("B's address went with A")
	}
	// Addresses per MAC are bounded; the oldest goes first.
	for i := range maxIPsPerMAC + 4 {
		h.learnIP(netip.MustParseAddr(fmt.Sprintf("10.1.0.%d", i)), macB)
	}
	if _, ok := h.locateIP(netip.MustParseAddr("10.1.0.0")); ok {
		t.Error("the oldest address was kept past the bound")
	}
	if n := len(h.byIP); n != maxIPsPerMAC {
		t.Errorf("%d addresses indexed, want %d", n, maxIPsPerMAC)
	}
	h.forgetDP(2)
	if len(h.byMAC) != 0 || len(h.byIP) != 0 || h.count(2) != 0 {
		t.Errorf("forgetDP left %d MACs, %d IPs, count %d", len(h.byMAC), len(h.byIP), h.count(2))
	}
}
