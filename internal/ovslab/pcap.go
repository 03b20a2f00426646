package ovslab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Packet is a captured frame, decoded as far as the harness needs.
type Packet struct {
	Time   time.Time
	Len    int // length on the wire
	Data   []byte
	SrcMAC net.HardwareAddr
	DstMAC net.HardwareAddr
	// VLANs holds the VIDs of the 802.1Q/802.1ad tags, outermost first;
	// PCPs the matching priority bits.
	VLANs     []uint16
	PCPs      []uint8
	EtherType uint16 // after the tags
	Src, Dst  netip.Addr
	Proto     uint8 // IP protocol (17 UDP, 6 TCP, 1 ICMP, 58 ICMPv6)
	TOS       uint8 // IPv4 TOS or IPv6 traffic class
	TTL       uint8 // IPv4 TTL or IPv6 hop limit
	SrcPort   uint16
	DstPort   uint16
}

// DSCP is the upper six bits of TOS.
func (p Packet) DSCP() uint8 { return p.TOS >> 2 }

// VLAN is the outermost VID, 0 when untagged.
func (p Packet) VLAN() uint16 {
	if len(p.VLANs) == 0 {
		return 0
	}
	return p.VLANs[0]
}

// String is a one-line summary for test logs.
func (p Packet) String() string {
	s := fmt.Sprintf("%s > %s", p.SrcMAC, p.DstMAC)
	for _, v := range p.VLANs {
		s += fmt.Sprintf(" vlan %d", v)
	}
	s += fmt.Sprintf(" type %#04x", p.EtherType)
	if p.Src.IsValid() {
		s += fmt.Sprintf(" %s:%d > %s:%d proto %d tos %#02x", p.Src, p.SrcPort, p.Dst, p.DstPort, p.Proto, p.TOS)
	}
	return s
}

const (
	linkTypeEthernet = 1
	pcapHeaderLen    = 24
	pcapRecordLen    = 16
)

// ParsePcap decodes a classic libpcap file of Ethernet frames. A record
// cut short at the end (tcpdump still writing) is ignored, so a file may be
// read while the capture runs.
func ParsePcap(b []byte) ([]Packet, error) {
	if len(b) < pcapHeaderLen {
		return nil, nil // header not written yet
	}
	var bo binary.ByteOrder
	nano := false
	switch m := binary.LittleEndian.Uint32(b); m {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	case 0x4d3cb2a1:
		bo, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("ovslab: not a pcap file (magic %#x)", m)
	}
	if lt := bo.Uint32(b[20:]) & 0x0fffffff; lt != linkTypeEthernet {
		return nil, fmt.Errorf("ovslab: pcap link type %d, want Ethernet (1); capture on a real interface, not \"any\"", lt)
	}
	var pkts []Packet
	for off := pcapHeaderLen; off+pcapRecordLen <= len(b); {
		sec, frac := bo.Uint32(b[off:]), bo.Uint32(b[off+4:])
		incl, orig := int(bo.Uint32(b[off+8:])), int(bo.Uint32(b[off+12:]))
		off += pcapRecordLen
		if incl > 1<<20 {
			return pkts, errors.New("ovslab: corrupt pcap record")
		}
		if off+incl > len(b) {
			break
		}
		ns := int64(frac) * 1000
		if nano {
			ns = int64(frac)
		}
		p := DecodeEthernet(b[off : off+incl])
		p.Time = time.Unix(int64(sec), ns)
		p.Len = orig
		pkts = append(pkts, p)
		off += incl
	}
	return pkts, nil
}

// DecodeEthernet decodes an Ethernet frame; fields it cannot reach stay zero.
func DecodeEthernet(data []byte) Packet {
	p := Packet{Data: data}
	if len(data) < 14 {
		return p
	}
	p.DstMAC = net.HardwareAddr(data[0:6])
	p.SrcMAC = net.HardwareAddr(data[6:12])
	et := binary.BigEndian.Uint16(data[12:])
	b := data[14:]
	for (et == 0x8100 || et == 0x88a8) && len(b) >= 4 {
		tci := binary.BigEndian.Uint16(b)
		p.VLANs = append(p.VLANs, tci&0x0fff)
		p.PCPs = append(p.PCPs, uint8(tci>>13))
		et = binary.BigEndian.Uint16(b[2:])
		b = b[4:]
	}
	p.EtherType = et
	var l4 []byte
	switch et {
	case 0x0800:
		if len(b) < 20 || b[0]>>4 != 4 {
			return p
		}
		ihl := int(b[0]&0x0f) * 4
		p.TOS, p.TTL, p.Proto = b[1], b[8], b[9]
		p.Src = netip.AddrFrom4([4]byte(b[12:16]))
		p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		if frag := binary.BigEndian.Uint16(b[6:]) & 0x1fff; frag == 0 && len(b) >= ihl {
			l4 = b[ihl:]
		}
	case 0x86dd:
		if len(b) < 40 || b[0]>>4 != 6 {
			return p
		}
		p.TOS = b[0]<<4 | b[1]>>4
		p.Proto, p.TTL = b[6], b[7]
		p.Src = netip.AddrFrom16([16]byte(b[8:24]))
		p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		l4 = b[40:]
	case 0x0806:
		// ARP for IPv4 over Ethernet: sender and target protocol addresses.
		if len(b) >= 28 {
			p.Src = netip.AddrFrom4([4]byte(b[14:18]))
			p.Dst = netip.AddrFrom4([4]byte(b[24:28]))
		}
		return p
	}
	if (p.Proto == 6 || p.Proto == 17) && len(l4) >= 4 {
		p.SrcPort = binary.BigEndian.Uint16(l4)
		p.DstPort = binary.BigEndian.Uint16(l4[2:])
	}
	return p
}
