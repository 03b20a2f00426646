package route

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// raConfig has a link-local VIP (the router advertises from it) beside a
// global one (whose prefix it advertises) on office, and only a global
// VIP on guest.
const raConfig = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.1.254/24", "2001:db8:1::1/64", "fe80::c00:ff:fe00:1001/64"]
  guest: {vid: 200, faucet_vips: ["2001:db8:2::1/64"]}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
      3: {tagged_vlans: [office, guest]}
`

var (
	raVIP    = netip.MustParseAddr("fe80::c00:ff:fe00:1001")
	raPrefix = netip.MustParsePrefix("2001:db8:1::/64")
)

// routerSolicitation builds a host's RS to all routers, with its source
// link-layer address option.
func routerSolicitation(m net.HardwareAddr, from netip.Addr, hops uint8, vid uint16) []byte {
	to := netip.MustParseAddr("ff02::2")
	msg := append([]byte{133, 0, 0, 0, 0, 0, 0, 0, 1, 1}, m...)
	return ethernet(net.HardwareAddr{0x33, 0x33, 0, 0, 0, 2}, m, vid, ethIPv6, ipv6(from, to, 58, hops, icmpv6(from, to, msg)))
}

// ra is a decoded router advertisement.
type ra struct {
	ethDst, ethSrc net.HardwareAddr
	vid            uint16
	src, dst       netip.Addr
	hopLimit       uint8
	curHop, flags  uint8
	lifetime       uint16
	reach, retrans uint32
	prefixes       []netip.Prefix
	prefixFlags    []uint8
	valid, pref    []uint32
	sll            net.HardwareAddr
}

// parseRA decodes frame as an RA, failing on any malformed part or a bad
// checksum.
func parseRA(t *testing.T, frame []byte) ra {
	t.Helper()
	var r ra
	r.ethDst, r.ethSrc = frame[0:6], frame[6:12]
	off := 12
	if binary.BigEndian.Uint16(frame[off:]) == ethVLAN {
		r.vid = binary.BigEndian.Uint16(frame[off+2:]) & 0xfff
		off += 4
	}
	if binary.BigEndian.Uint16(frame[off:]) != ethIPv6 {
		t.Fatalf("not IPv6: % x", frame)
	}
	ip := frame[off+2:]
	plen := int(binary.BigEndian.Uint16(ip[4:]))
	if ip[6] != 58 || len(ip) != 40+plen {
		t.Fatalf("bad IPv6 header: % x", ip[:40])
	}
	r.hopLimit = ip[7]
	r.src, r.dst = netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
	msg := slices.Clone(ip[40:])
	sum := binary.BigEndian.Uint16(msg[2:])
	if binary.BigEndian.Uint16(icmpv6(r.src, r.dst, slices.Clone(msg))[2:]) != sum {
		t.Fatalf("bad ICMPv6 checksum")
	}
	if msg[0] != 134 || msg[1] != 0 || len(msg) < 16 {
		t.Fatalf("not an RA: % x", msg)
	}
	r.curHop, r.flags = msg[4], msg[5]
	r.lifetime = binary.BigEndian.Uint16(msg[6:])
	r.reach, r.retrans = binary.BigEndian.Uint32(msg[8:]), binary.BigEndian.Uint32(msg[12:])
	for o := msg[16:]; len(o) > 0; {
		if len(o) < 8 || o[1] == 0 || len(o) < int(o[1])*8 {
			t.Fatalf("bad option: % x", o)
		}
		switch o[0] {
		case 1:
			r.sll = o[2:8]
		case 3:
			r.prefixes = append(r.prefixes, netip.PrefixFrom(netip.AddrFrom16([16]byte(o[16:32])), int(o[2])))
			r.prefixFlags = append(r.prefixFlags, o[3])
			r.valid = append(r.valid, binary.BigEndian.Uint32(o[4:]))
			r.pref = append(r.pref, binary.BigEndian.Uint32(o[8:]))
		}
		o = o[int(o[1])*8:]
	}
	return r
}

// checkRA checks the fields Faucet's valve_packet.router_advert sets.
func checkRA(t *testing.T, r ra, ethDst net.HardwareAddr, dst netip.Addr, vid uint16) {
	t.Helper()
	if !bytes.Equal(r.ethSrc, faucetMAC) || !bytes.Equal(r.ethDst, ethDst) || r.vid != vid {
		t.Errorf("Ethernet %s -> %s vid %d, want %s -> %s vid %d", r.ethSrc, r.ethDst, r.vid, faucetMAC, ethDst, vid)
	}
	if r.src != raVIP || r.dst != dst || r.hopLimit != 255 {
		t.Errorf("IPv6 %s -> %s hop limit %d, want %s -> %s 255", r.src, r.dst, r.hopLimit, raVIP, dst)
	}
	if r.curHop != 64 || r.flags != 0 || r.lifetime != 1800 || r.reach != 0 || r.retrans != 0 {
		t.Errorf("RA header: cur hop %d flags %#x lifetime %d reachable %d retrans %d", r.curHop, r.flags, r.lifetime, r.reach, r.retrans)
	}
	if !slices.Equal(r.prefixes, []netip.Prefix{raPrefix}) || r.prefixFlags[0] != 0xc0 || r.valid[0] != 86400 || r.pref[0] != 14400 {
		t.Errorf("prefix options %v flags %v valid %v preferred %v, want %v L+A 86400 14400", r.prefixes, r.prefixFlags, r.valid, r.pref, raPrefix)
	}
	if !bytes.Equal(r.sll, faucetMAC) {
		t.Errorf("source link-layer option %s, want %s", r.sll, faucetMAC)
	}
}

// A router solicitation reaches the controller through the compiled
// pipeline and is answered, to the host and out of its port, from the
// link-local VIP with the VLAN's global prefix.
func TestRouterAnswersRouterSolicitation(t *testing.T) {
	l := newLab(t, raConfig)
	host := netip.MustParseAddr("fe80::1")
	r := l.host(1, routerSolicitation(h1MAC, host, 255, 0))
	if !slices.ContainsFunc(r.Outputs, func(o oftable.Out) bool { return o.Port == 3 }) {
		t.Errorf("RS not also switched on towards other routers: %+v", r.Outputs)
	}
	sent := l.takeSent()
	if len(sent) != 1 || !slices.Equal(sent[0].Ports, []uint32{1}) {
		t.Fatalf("answer: %+v", sent)
	}
	checkRA(t, parseRA(t, sent[0].Data), h1MAC, host, 0)

	// Tagged on the trunk: the answer carries the tag.
	l.host(3, routerSolicitation(h2MAC, host, 255, 100))
	sent = l.takeSent()
	if len(sent) != 1 || !slices.Equal(sent[0].Ports, []uint32{3}) {
		t.Fatalf("tagged answer: %+v", sent)
	}
	checkRA(t, parseRA(t, sent[0].Data), h2MAC, host, 100)
}

func TestRouterIgnoresBadRouterSolicitation(t *testing.T) {
	l := newLab(t, raConfig)
	for _, c := range []struct {
		name  string
		port  uint32
		frame []byte
	}{
		// RFC 4861 §6.1.1: a routed (hop limit below 255) RS is invalid.
		{"routed", 1, routerSolicitation(h1MAC, netip.MustParseAddr("fe80::1"), 64, 0)},
		// Faucet answers only sources in a link-local VIP's subnet.
		{"unspecified source", 1, routerSolicitation(h1MAC, netip.IPv6Unspecified(), 255, 0)},
		// Faucet's ip_in_vip_subnet leaves out the subnet's own address.
		{"subnet address", 1, routerSolicitation(h1MAC, netip.MustParseAddr("fe80::"), 255, 0)},
		// guest has no link-local VIP: nothing to advertise from.
		{"no link-local VIP", 2, routerSolicitation(h2MAC, netip.MustParseAddr("fe80::2"), 255, 0)},
	} {
		out := l.r.HandlePacket(l.now, c.port, map[uint32]uint16{1: 100, 2: 200}[c.port], retag(c.frame, map[uint32]uint16{1: 100, 2: 200}[c.port]))
		if len(out.Packets) != 0 {
			t.Errorf("%s: answered %+v", c.name, out.Packets)
		}
	}
}

// Advertisements are flooded on the first tick and then every
// advertise_interval (30 s by default), tagged to tagged ports and
// untagged to the others, only on VLANs with a link-local VIP.
func TestRouterAdvertisesPeriodically(t *testing.T) {
	l := newLab(t, raConfig)
	check := func(when string, out Output, want bool) {
		t.Helper()
		var ras []Packet
		for _, p := range out.Packets {
			if pk, err := pipeline.ParsePacket(p.Data); err == nil && pk.ICMPType == 134 {
				ras = append(ras, p)
			}
		}
		if !want {
			if len(ras) != 0 {
				t.Fatalf("%s: unexpected RAs %+v", when, ras)
			}
			return
		}
		if len(ras) != 2 {
			t.Fatalf("%s: want tagged and untagged RA, got %+v", when, ras)
		}
		allNodes6 := netip.MustParseAddr("ff02::1")
		allNodesEth := net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
		for _, p := range ras {
			switch {
			case slices.Equal(p.Ports, []uint32{3}):
				checkRA(t, parseRA(t, p.Data), allNodesEth, allNodes6, 100)
			case slices.Equal(p.Ports, []uint32{1}):
				checkRA(t, parseRA(t, p.Data), allNodesEth, allNodes6, 0)
			default:
				t.Fatalf("%s: RA to ports %v", when, p.Ports)
			}
		}
	}
	check("first tick", l.r.Tick(l.now), true)
	check("1s later", l.r.Tick(l.now.Add(time.Second)), false)
	check("29s later", l.r.Tick(l.now.Add(29*time.Second)), false)
	check("30s later", l.r.Tick(l.now.Add(30*time.Second)), true)
}
