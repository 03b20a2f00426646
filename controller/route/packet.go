package route

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
)

// Frames the controller sends for its VIPs: ARP and ND to resolve and to
// answer for them, and ICMP echo replies. Each is a full Ethernet frame,
// tagged with vid when vid is non-zero, ready for a packet-out.

const (
	ethARP  = 0x0806
	ethIPv4 = 0x0800
	ethIPv6 = 0x86dd
	ethVLAN = 0x8100
)

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// ethernet writes an Ethernet header (with a VLAN tag when vid != 0).
func ethernet(dst, src net.HardwareAddr, vid uint16, etype uint16, payload []byte) []byte {
	b := make([]byte, 0, 18+len(payload))
	b = append(b, dst[:6]...)
	b = append(b, src[:6]...)
	if vid != 0 {
		b = binary.BigEndian.AppendUint16(b, ethVLAN)
		b = binary.BigEndian.AppendUint16(b, vid&0xfff)
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

func arp(op uint16, sha net.HardwareAddr, spa netip.Addr, tha net.HardwareAddr, tpa netip.Addr) []byte {
	b := make([]byte, 0, 28)
	b = binary.BigEndian.AppendUint16(b, 1) // Ethernet
	b = binary.BigEndian.AppendUint16(b, ethIPv4)
	b = append(b, 6, 4)
	b = binary.BigEndian.AppendUint16(b, op)
	b = append(b, sha[:6]...)
	s4 := spa.As4()
	b = append(b, s4[:]...)
	b = append(b, tha[:6]...)
	t4 := tpa.As4()
	return append(b, t4[:]...)
}

// ARPRequest asks who has target, from the VIP vip and MAC mac.
func ARPRequest(mac net.HardwareAddr, vip, target netip.Addr, vid uint16) []byte {
	return ethernet(broadcastMAC, mac, vid, ethARP, arp(1, mac, vip, make(net.HardwareAddr, 6), target))
}

// ARPReply answers an ARP request for vip from host (hostMAC, hostIP).
func ARPReply(mac net.HardwareAddr, vip netip.Addr, hostMAC net.HardwareAddr, hostIP netip.Addr, vid uint16) []byte {
	return ethernet(hostMAC, mac, vid, ethARP, arp(2, mac, vip, hostMAC, hostIP))
}

// SolicitedNode returns the solicited-node multicast address of ip and its
// MAC (RFC 4291 §2.7.1, RFC 2464 §7).
func SolicitedNode(ip netip.Addr) (netip.Addr, net.HardwareAddr) {
	a := ip.As16()
	sn := netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 1, 12: 0xff, 13: a[13], 14: a[14], 15: a[15]})
	s := sn.As16()
	return sn, net.HardwareAddr{0x33, 0x33, s[12], s[13], s[14], s[15]}
}

// NeighborSolicitation asks for target's MAC from the VIP vip (RFC 4861
// §4.3), with the source link-layer address option.
func NeighborSolicitation(mac net.HardwareAddr, vip, target netip.Addr, vid uint16) []byte {
	dst, dstMAC := SolicitedNode(target)
	body := make([]byte, 0, 32)
	body = append(body, 135, 0, 0, 0, 0, 0, 0, 0)
	t := target.As16()
	body = append(body, t[:]...)
	body = append(body, 1, 1) // source link-layer address, 8 octets
	body = append(body, mac[:6]...)
	return ethernet(dstMAC, mac, vid, ethIPv6, ipv6(vip, dst, 58, 255, icmpv6(vip, dst, body)))
}

// NeighborProbe asks who has target the way duplicate address detection
// does (RFC 4862 §5.4.2): a solicitation from the unspecified address,
// which must carry no source link-layer option (RFC 4861 §4.3). It
// changes no neighbour cache; a host that owns target answers with an
// advertisement to all nodes (RFC 4861 §7.2.4). mac is only the frame's
// Ethernet source.
func NeighborProbe(mac net.HardwareAddr, target netip.Addr, vid uint16) []byte {
	dst, dstMAC := SolicitedNode(target)
	body := make([]byte, 0, 24)
	body = append(body, 135, 0, 0, 0, 0, 0, 0, 0)
	t := target.As16()
	body = append(body, t[:]...)
	return ethernet(dstMAC, mac, vid, ethIPv6, ipv6(netip.IPv6Unspecified(), dst, 58, 255, icmpv6(netip.IPv6Unspecified(), dst, body)))
}

// NeighborAdvertisement answers a solicitation for vip from host (RFC
// 4861 §4.4): solicited and override set, with the target link-layer
// address option.
func NeighborAdvertisement(mac net.HardwareAddr, vip netip.Addr, hostMAC net.HardwareAddr, hostIP netip.Addr, vid uint16) []byte {
	body := make([]byte, 0, 32)
	// Flags: router (the VIP is the hosts' gateway), solicited, override.
	body = append(body, 136, 0, 0, 0, 0xe0, 0, 0, 0)
	v := vip.As16()
	body = append(body, v[:]...)
	body = append(body, 2, 1) // target link-layer address
	body = append(body, mac[:6]...)
	return ethernet(hostMAC, mac, vid, ethIPv6, ipv6(vip, hostIP, 58, 255, icmpv6(vip, hostIP, body)))
}

func ipv6(src, dst netip.Addr, next uint8, hops uint8, payload []byte) []byte {
	b := make([]byte, 0, 40+len(payload))
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	b = append(b, next, hops)
	s, d := src.As16(), dst.As16()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	return append(b, payload...)
}

// icmpv6 fills in the checksum of an ICMPv6 message over the IPv6
// pseudo-header (RFC 4443 §2.3).
func icmpv6(src, dst netip.Addr, msg []byte) []byte {
	msg[2], msg[3] = 0, 0
	s, d := src.As16(), dst.As16()
	ph := make([]byte, 0, 40)
	ph = append(ph, s[:]...)
	ph = append(ph, d[:]...)
	ph = binary.BigEndian.AppendUint32(ph, uint32(len(msg)))
	ph = append(ph, 0, 0, 0, 58)
	binary.BigEndian.PutUint16(msg[2:], checksum(ph, msg))
	return msg
}

// checksum is the Internet checksum (RFC 1071) over the concatenation of
// parts.
func checksum(parts ...[]byte) uint16 {
	var sum uint32
	odd, carry := false, byte(0)
	for _, p := range parts {
		for _, c := range p {
			if odd {
				sum += uint32(carry)<<8 | uint32(c)
			} else {
				carry = c
			}
			odd = !odd
		}
	}
	if odd {
		sum += uint32(carry) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// ErrNotEcho is returned by EchoReply for a packet that is not an ICMP or
// ICMPv6 echo request.
var ErrNotEcho = errors.New("not an echo request")

// EchoReply turns an Ethernet frame carrying an ICMP (or ICMPv6) echo
// request into the reply from the VIP it was sent to, with mac as the
// source MAC. The VLAN tag, if any, is kept.
func EchoReply(frame []byte, mac net.HardwareAddr) ([]byte, error) {
	if len(frame) < 14 {
		return nil, ErrNotEcho
	}
	off := 12
	etype := binary.BigEndian.Uint16(frame[off:])
	if etype == ethVLAN {
		off += 4
		if len(frame) < off+2 {
			return nil, ErrNotEcho
		}
		etype = binary.BigEndian.Uint16(frame[off:])
	}
	off += 2
	out := append([]byte(nil), frame...)
	copy(out[0:6], frame[6:12])
	copy(out[6:12], mac[:6])
	p := out[off:]
	switch etype {
	case ethIPv4:
		if len(p) < 20 || p[0]>>4 != 4 {
			return nil, ErrNotEcho
		}
		ihl := int(p[0]&15) * 4
		total := int(binary.BigEndian.Uint16(p[2:]))
		if ihl < 20 || total < ihl+8 || total > len(p) || p[9] != 1 || p[ihl] != 8 {
			return nil, ErrNotEcho
		}
		var src, dst [4]byte
		copy(src[:], p[12:16])
		copy(dst[:], p[16:20])
		copy(p[12:16], dst[:])
		copy(p[16:20], src[:])
		p[8] = 64
		p[10], p[11] = 0, 0
		binary.BigEndian.PutUint16(p[10:], checksum(p[:ihl]))
		icmp := p[ihl:total]
		icmp[0] = 0
		icmp[2], icmp[3] = 0, 0
		binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
		return out[:off+total], nil
	case ethIPv6:
		if len(p) < 48 || p[0]>>4 != 6 || p[6] != 58 || p[40] != 128 {
			return nil, ErrNotEcho
		}
		plen := int(binary.BigEndian.Uint16(p[4:]))
		if 40+plen > len(p) || plen < 8 {
			return nil, ErrNotEcho
		}
		src := netip.AddrFrom16([16]byte(p[8:24]))
		dst := netip.AddrFrom16([16]byte(p[24:40]))
		copy(p[8:24], p[24:40])
		d := src.As16()
		copy(p[24:40], d[:])
		p[7] = 64
		msg := p[40 : 40+plen]
		msg[0] = 129
		icmpv6(dst, src, msg)
		return out[:off+40+plen], nil
	}
	return nil, ErrNotEcho
}

// Router advertisement constants, as Faucet's valve_packet.router_advert
// sends them (RFC 4861 §4.2, §4.6.2).
const (
	raCurHopLimit     = 64    // IPV6_RA_HOP_LIM
	raRouterLifetime  = 1800  // seconds
	raValidLifetime   = 86400 // seconds, each prefix
	raPreferredLife   = 14400 // seconds, each prefix
	raPrefixFlagsLA   = 0xc0  // on-link (L) and autonomous (A)
	icmpv6RouterAdv   = 134
	ndOptSourceLLAddr = 1
	ndOptPrefixInfo   = 3
)

// RouterAdvertisement is the advertisement Faucet sends from a link-local
// VIP src, to dst (a soliciting host, or all nodes): no managed or other
// configuration flags, a prefix information option (on-link, autonomous)
// for each of prefixes, then the source link-layer address option.
func RouterAdvertisement(mac net.HardwareAddr, src netip.Addr, dstMAC net.HardwareAddr, dst netip.Addr, prefixes []netip.Prefix, vid uint16) []byte {
	body := make([]byte, 0, 16+32*len(prefixes)+8)
	body = append(body, icmpv6RouterAdv, 0, 0, 0, raCurHopLimit, 0)
	body = binary.BigEndian.AppendUint16(body, raRouterLifetime)
	body = append(body, 0, 0, 0, 0, 0, 0, 0, 0) // reachable time, retrans timer: unspecified
	for _, p := range prefixes {
		p = p.Masked()
		body = append(body, ndOptPrefixInfo, 4, byte(p.Bits()), raPrefixFlagsLA)
		body = binary.BigEndian.AppendUint32(body, raValidLifetime)
		body = binary.BigEndian.AppendUint32(body, raPreferredLife)
		body = append(body, 0, 0, 0, 0)
		a := p.Addr().As16()
		body = append(body, a[:]...)
	}
	body = append(body, ndOptSourceLLAddr, 1)
	body = append(body, mac[:6]...)
	return ethernet(dstMAC, mac, vid, ethIPv6, ipv6(src, dst, 58, 255, icmpv6(src, dst, body)))
}

// ipv6HopLimit returns the hop limit of the IPv6 packet in frame (tagged
// or not), and false when frame holds no IPv6 header.
func ipv6HopLimit(frame []byte) (uint8, bool) {
	off := 12
	if len(frame) >= off+2 && binary.BigEndian.Uint16(frame[off:]) == ethVLAN {
		off += 4
	}
	if len(frame) < off+2+40 || binary.BigEndian.Uint16(frame[off:]) != ethIPv6 {
		return 0, false
	}
	return frame[off+2+7], true
}
