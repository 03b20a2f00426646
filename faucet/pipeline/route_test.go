package pipeline

import (
	"net/netip"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/oftable"
)

const routedConfig = `
vlans:
  office: {vid: 100, faucet_vips: ["10.0.1.254/24", "fc00:1::fe/64"]}
  guest: {vid: 200, faucet_vips: ["10.0.2.254/24", "fc00:2::fe/64"]}
routers:
  r1: {vlans: [office, guest]}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
      3: {tagged_vlans: [office, guest]}
`

const (
	h1MAC     = "00:00:00:00:01:01"
	h2MAC     = "00:00:00:00:02:02"
	faucetMAC = "0e:00:00:00:00:01"
)

func ip4(src, dst string, ttl uint8) oftable.Packet {
	p := eth(1, h1MAC, faucetMAC)
	p.IPSrc, p.IPDst, p.TTL = netip.MustParseAddr(src), netip.MustParseAddr(dst), ttl
	return p
}

func ip6(src, dst string, ttl uint8) oftable.Packet {
	p := ip4("10.0.0.1", "10.0.0.2", ttl)
	p.EthType = EthTypeIPv6
	p.IPSrc, p.IPDst = netip.MustParseAddr(src), netip.MustParseAddr(dst)
	return p
}

// setRoute installs a FIB entry the way the runtime does and checks its
// flows equal Compile's for the same owner.
func (s *testSwitch) setRoute(prefix string, vid uint16, m string) {
	s.t.Helper()
	of, err := s.learned.SetRoute(s.dp, FIBEntry{Prefix: netip.MustParsePrefix(prefix), VID: vid, MAC: mac(m)})
	if err != nil {
		s.t.Fatal(err)
	}
	if len(of.Flows) == 0 {
		s.t.Fatalf("route %s: no flows", prefix)
	}
	s.checkLearnResult(LearnResult{Owner: of.Owner, Flows: of.Flows})
	s.reload()
}

func TestRoutingVIPPunts(t *testing.T) {
	s := newSwitch(t, routedConfig)
	arp := eth(1, h1MAC, "ff:ff:ff:ff:ff:ff")
	arp.EthType, arp.IPProto = EthTypeARP, 0
	arp.ARPOp, arp.ARPSPA, arp.ARPTPA = 1, netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("10.0.1.254")
	wantOuts(t, "ARP for the VIP", s.tbl.Trace(arp), "ctl")
	arp.ARPTPA = netip.MustParseAddr("10.0.1.2")
	wantOuts(t, "ARP for another host is flooded", s.tbl.Trace(arp), "3:100")

	echo := ip4("10.0.1.1", "10.0.1.254", 64)
	echo.IPProto, echo.ICMPType = IPProtoICMP, 8
	wantOuts(t, "ping to the VIP", s.tbl.Trace(echo), "ctl")
	wantOuts(t, "ping to the other VLAN's VIP", s.tbl.Trace(ip4("10.0.1.1", "10.0.2.254", 64)), "ctl")
	wantOuts(t, "packet to an unresolved host", s.tbl.Trace(ip4("10.0.1.1", "10.0.2.2", 64)), "ctl")
	wantOuts(t, "packet to no route", s.tbl.Trace(ip4("10.0.1.1", "192.168.0.1", 64)))

	ns := ip6("fc00:1::1", "ff02::1:ff00:fe", 255)
	ns.EthDst = mac("33:33:ff:00:00:fe")
	ns.IPProto, ns.ICMPType, ns.NDTarget = IPProtoICMPv6, ICMPv6NeighborSolicit, netip.MustParseAddr("fc00:1::fe")
	wantOuts(t, "NS for the VIP", s.tbl.Trace(ns), "ctl", "3:100")
	wantOuts(t, "v6 to an unresolved host", s.tbl.Trace(ip6("fc00:1::1", "fc00:2::2", 64)), "ctl")
}

func TestRoutingInterVLAN(t *testing.T) {
	for _, c := range []struct {
		name, prefix string
		pkt          oftable.Packet
	}{
		{"v4", "10.0.2.2/32", ip4("10.0.1.1", "10.0.2.2", 64)},
		{"v6", "fc00:2::2/128", ip6("fc00:1::1", "fc00:2::2", 64)},
		{"v4 prefix via neighbour", "192.168.0.0/16", ip4("10.0.1.1", "192.168.7.7", 64)},
		{"v6 prefix via neighbour", "fd00:99::/48", ip6("fc00:1::1", "fd00:99::7", 64)},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSwitch(t, routedConfig)
			// h2 is learned on port 2 (guest), so eth_dst switches to it.
			s.send(eth(2, h2MAC, "ff:ff:ff:ff:ff:ff"))
			s.setRoute(c.prefix, 200, h2MAC)
			r := s.tbl.Trace(c.pkt)
			wantOuts(t, "routed packet", r, "2:u")
			out := r.Outputs[0].Packet
			if out.EthSrc.String() != faucetMAC || out.EthDst.String() != h2MAC {
				t.Fatalf("MACs not rewritten: %s -> %s\n%v", out.EthSrc, out.EthDst, r)
			}
			if out.TTL != 63 {
				t.Fatalf("TTL %d, want 63\n%v", out.TTL, r)
			}
			// Tagged on the trunk, routed into the other VLAN's tag.
			r = s.tbl.Trace(tagged(func() oftable.Packet { p := c.pkt; p.InPort = 3; return p }(), 100))
			wantOuts(t, "routed from the trunk", r, "2:u")
			// TTL 1 is not forwarded.
			p := c.pkt
			p.TTL = 1
			wantOuts(t, "TTL 1", s.tbl.Trace(p))

			owner, ok := s.learned.DeleteRoute(netip.MustParsePrefix(c.prefix))
			if !ok || owner != RouteOwner(netip.MustParsePrefix(c.prefix)) {
				t.Fatalf("DeleteRoute = %q %v", owner, ok)
			}
			s.reload()
			if got := outs(s.tbl.Trace(c.pkt)); len(got) == 1 && got[0] == "2:u" {
				t.Fatal("route still forwards after DeleteRoute")
			}
		})
	}
}

func TestRouteIgnoresConnectedSubnet(t *testing.T) {
	s := newSwitch(t, routedConfig)
	of, err := s.learned.SetRoute(s.dp, FIBEntry{Prefix: netip.MustParsePrefix("10.0.2.0/24"), VID: 200, MAC: mac(h2MAC)})
	if err != nil || len(of.Flows) != 0 {
		t.Fatalf("route over a connected subnet: %v flows, err %v", len(of.Flows), err)
	}
	s.reload() // Compile must not emit a colliding flow either
}
