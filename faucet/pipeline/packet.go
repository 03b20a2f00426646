package pipeline

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
)

// Ethernet types the pipeline and packet parser know.
const (
	EthTypeIPv4   uint16 = 0x0800
	EthTypeARP    uint16 = 0x0806
	EthType8021Q  uint16 = 0x8100
	EthType8021AD uint16 = 0x88a8
	EthTypeIPv6   uint16 = 0x86dd
	EthTypeSlow   uint16 = 0x8809
	EthTypeLLDP   uint16 = 0x88cc
	EthTypeECTP   uint16 = 0x9000
)

// IP protocol numbers.
const (
	IPProtoICMP   uint8 = 1
	IPProtoTCP    uint8 = 6
	IPProtoUDP    uint8 = 17
	IPProtoICMPv6 uint8 = 58
)

// ICMPv6 echo request (RFC 4443) and neighbour discovery types (RFC 4861).
const (
	ICMPv6EchoRequest     uint8 = 128
	ICMPv6RouterSolicit   uint8 = 133
	ICMPv6RouterAdvert    uint8 = 134
	ICMPv6NeighborSolicit uint8 = 135
	ICMPv6NeighborAdvert  uint8 = 136
)

// Packet is what the controller needs to know about a packet-in: the
// Ethernet header, up to two VLAN tags and the ARP, IP and transport fields.
// Packet-ins are usually truncated (the learning flow sends 96 bytes), so
// missing upper layers are normal and leave their fields zero.
type Packet struct {
	EthDst, EthSrc net.HardwareAddr
	// EthType is the type after any VLAN tags.
	EthType uint16
	// VLAN is the outer tag's VID when Tagged; PCP its priority. InnerVID
	// is the second tag's VID when there are two.
	Tagged   bool
	VLAN     uint16
	PCP      uint8
	InnerVID uint16

	// ARP fields, when EthType is ARP.
	ARPOp          uint16
	ARPSHA, ARPTHA net.HardwareAddr
	ARPSPA, ARPTPA netip.Addr

	// IP fields, when EthType is IPv4 or IPv6.
	IPSrc, IPDst netip.Addr
	IPProto      uint8
	DSCP         uint8
	// SrcPort and DstPort are the TCP or UDP ports.
	SrcPort, DstPort uint16
	// ICMPType and ICMPCode are ICMPv4 or ICMPv6's.
	ICMPType, ICMPCode uint8
	// NDTarget is the target of an ICMPv6 neighbour solicitation/advert.
	NDTarget netip.Addr

	// Truncated is set when the data ended inside a header.
	Truncated bool
}

// ErrShortPacket is returned for data too short to hold an Ethernet header.
var ErrShortPacket = errors.New("pipeline: packet shorter than an Ethernet header")

// ParsePacket decodes a packet-in's data. It never panics; it fails only
// when there is no Ethernet header, and reports a header cut short by
// setting Truncated.
func ParsePacket(data []byte) (Packet, error) {
	var p Packet
	if len(data) < 14 {
		return p, ErrShortPacket
	}
	p.EthDst = net.HardwareAddr(append([]byte(nil), data[0:6]...))
	p.EthSrc = net.HardwareAddr(append([]byte(nil), data[6:12]...))
	et := binary.BigEndian.Uint16(data[12:14])
	rest := data[14:]
	for tags := 0; (et == EthType8021Q || et == EthType8021AD) && tags < 2; tags++ {
		if len(rest) < 4 {
			p.Truncated = true
			p.EthType = et
			return p, nil
		}
		tci := binary.BigEndian.Uint16(rest[0:2])
		if tags == 0 {
			p.Tagged, p.VLAN, p.PCP = true, tci&0xfff, uint8(tci>>13)
		} else {
			p.InnerVID = tci & 0xfff
		}
		et = binary.BigEndian.Uint16(rest[2:4])
		rest = rest[4:]
	}
	p.EthType = et
	switch et {
	case EthTypeARP:
		p.parseARP(rest)
	case EthTypeIPv4:
		p.parseIPv4(rest)
	case EthTypeIPv6:
		p.parseIPv6(rest)
	}
	return p, nil
}

func (p *Packet) parseARP(b []byte) {
	// Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
	if len(b) < 28 {
		p.Truncated = true
		return
	}
	if binary.BigEndian.Uint16(b[0:2]) != 1 || binary.BigEndian.Uint16(b[2:4]) != EthTypeIPv4 || b[4] != 6 || b[5] != 4 {
		return
	}
	p.ARPOp = binary.BigEndian.Uint16(b[6:8])
	p.ARPSHA = net.HardwareAddr(append([]byte(nil), b[8:14]...))
	p.ARPSPA = netip.AddrFrom4([4]byte(b[14:18]))
	p.ARPTHA = net.HardwareAddr(append([]byte(nil), b[18:24]...))
	p.ARPTPA = netip.AddrFrom4([4]byte(b[24:28]))
}

func (p *Packet) parseIPv4(b []byte) {
	if len(b) < 20 {
		p.Truncated = true
		return
	}
	ihl := int(b[0]&0x0f) * 4
	if b[0]>>4 != 4 || ihl < 20 {
		return
	}
	p.DSCP = b[1] >> 2
	p.IPProto = b[9]
	p.IPSrc = netip.AddrFrom4([4]byte(b[12:16]))
	p.IPDst = netip.AddrFrom4([4]byte(b[16:20]))
	if len(b) < ihl {
		p.Truncated = true
		return
	}
	// Only the first fragment carries the transport header.
	if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		return
	}
	p.parseL4(b[ihl:], IPProtoICMP)
}

func (p *Packet) parseIPv6(b []byte) {
	if len(b) < 40 {
		p.Truncated = true
		return
	}
	if b[0]>>4 != 6 {
		return
	}
	p.DSCP = (b[0]&0x0f)<<2 | b[1]>>6
	p.IPProto = b[6]
	p.IPSrc = netip.AddrFrom16([16]byte(b[8:24]))
	p.IPDst = netip.AddrFrom16([16]byte(b[24:40]))
	p.parseL4(b[40:], IPProtoICMPv6)
}

func (p *Packet) parseL4(b []byte, icmp uint8) {
	switch p.IPProto {
	case IPProtoTCP, IPProtoUDP:
		if len(b) < 4 {
			p.Truncated = true
			return
		}
		p.SrcPort = binary.BigEndian.Uint16(b[0:2])
		p.DstPort = binary.BigEndian.Uint16(b[2:4])
	case icmp:
		if len(b) < 2 {
			p.Truncated = true
			return
		}
		p.ICMPType, p.ICMPCode = b[0], b[1]
		if icmp == IPProtoICMPv6 && (p.ICMPType == ICMPv6NeighborSolicit || p.ICMPType == ICMPv6NeighborAdvert) {
			if len(b) < 24 {
				p.Truncated = true
				return
			}
			p.NDTarget = netip.AddrFrom16([16]byte(b[8:24]))
		}
	}
}

// IsMulticastMAC reports whether mac has the group bit set (multicast or
// broadcast).
func IsMulticastMAC(mac net.HardwareAddr) bool { return len(mac) == 6 && mac[0]&1 == 1 }
