package oftable

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Ethernet types and IP protocols the model decodes.
const (
	EthTypeIPv4 uint16 = 0x0800
	EthTypeARP  uint16 = 0x0806
	EthTypeVLAN uint16 = 0x8100
	EthTypeQinQ uint16 = 0x88a8
	EthTypeIPv6 uint16 = 0x86dd

	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoICMPv6 uint8 = 58
	ProtoSCTP   uint8 = 132
)

// VLAN is one 802.1Q/802.1ad tag.
type VLAN struct {
	// TPID is the tag's EtherType; zero means 0x8100.
	TPID uint16
	VID  uint16
	PCP  uint8
}

// Packet is the header of a frame as the OpenFlow pipeline sees it. Which
// fields are meaningful depends on EthType and IPProto, exactly as match
// prerequisites say: L4Src is the TCP source port only when EthType is IPv4
// or IPv6 and IPProto is 6, and a flow matching tcp_src never matches an
// ARP packet whatever L4Src holds.
//
// The model never modifies slices it was given; rewrites allocate.
type Packet struct {
	InPort    uint32
	InPhyPort uint32 // 0 means the same as InPort
	Metadata  uint64 // pipeline metadata; a packet enters with 0
	TunnelID  uint64

	EthDst, EthSrc net.HardwareAddr
	// VLANs is the tag stack, outermost first. Empty means untagged.
	VLANs []VLAN
	// EthType is the EtherType after the tags (what eth_type matches).
	EthType uint16

	// IPv4 (EthType 0x0800) or IPv6 (0x86dd).
	IPSrc, IPDst netip.Addr
	IPProto      uint8
	DSCP, ECN    uint8
	TTL          uint8 // TTL or hop limit
	IPv6FLabel   uint32

	// TCP, UDP or SCTP ports, by IPProto.
	L4Src, L4Dst uint16
	// ICMPv4 or ICMPv6 type and code, by IPProto.
	ICMPType, ICMPCode uint8
	// NDTarget, NDSLL and NDTLL for ICMPv6 neighbour solicitation (135)
	// and advertisement (136).
	NDTarget     netip.Addr
	NDSLL, NDTLL net.HardwareAddr

	// ARP (EthType 0x0806).
	ARPOp          uint16
	ARPSPA, ARPTPA netip.Addr
	ARPSHA, ARPTHA net.HardwareAddr

	// Len is the frame length added to byte counters; 0 counts as 64.
	Len int
}

// MAC parses a MAC address and panics on error; for test literals.
func MAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic("oftable.MAC: " + err.Error())
	}
	return m
}

// VID returns the outermost tag as an OXM vlan_vid value: 0 (OFPVID_NONE)
// for an untagged packet, the VID with OFPVID_PRESENT otherwise.
func (p *Packet) VID() uint16 {
	if len(p.VLANs) == 0 {
		return 0
	}
	return p.VLANs[0].VID&0xfff | of13.OXMVlanPresent
}

// Tagged returns p with a single 802.1Q tag carrying vid.
func (p Packet) Tagged(vid uint16) Packet {
	p.VLANs = []VLAN{{TPID: EthTypeVLAN, VID: vid}}
	return p
}

func (p *Packet) isIP() bool { return p.EthType == EthTypeIPv4 || p.EthType == EthTypeIPv6 }

// numFields is one past the highest of13 field number.
const numFields = int(of13.FieldIPv6ExtHdr) + 1

// fieldVec is a packet's match-field values, computed once per table lookup.
type fieldVec struct {
	present uint64
	val     [numFields][16]byte
}

func putUint(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

func getUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// extract fills v with the fields p has, honouring prerequisites.
func (p *Packet) extract(v *fieldVec) {
	v.present = 0
	setU := func(f of13.Field, x uint64) {
		v.val[f] = [16]byte{}
		putUint(v.val[f][:f.Size()], x)
		v.present |= 1 << f
	}
	setB := func(f of13.Field, b []byte) {
		v.val[f] = [16]byte{}
		copy(v.val[f][:f.Size()], b)
		v.present |= 1 << f
	}
	setU(of13.FieldInPort, uint64(p.InPort))
	phy := p.InPhyPort
	if phy == 0 {
		phy = p.InPort
	}
	setU(of13.FieldInPhyPort, uint64(phy))
	setU(of13.FieldMetadata, p.Metadata)
	setU(of13.FieldTunnelID, p.TunnelID)
	setB(of13.FieldEthDst, p.EthDst)
	setB(of13.FieldEthSrc, p.EthSrc)
	setU(of13.FieldEthType, uint64(p.EthType))
	setU(of13.FieldVlanVID, uint64(p.VID()))
	if len(p.VLANs) > 0 {
		setU(of13.FieldVlanPCP, uint64(p.VLANs[0].PCP))
	}
	switch p.EthType {
	case EthTypeARP:
		setU(of13.FieldARPOp, uint64(p.ARPOp))
		setB(of13.FieldARPSPA, addr4(p.ARPSPA))
		setB(of13.FieldARPTPA, addr4(p.ARPTPA))
		setB(of13.FieldARPSHA, p.ARPSHA)
		setB(of13.FieldARPTHA, p.ARPTHA)
		return
	case EthTypeIPv4:
		setB(of13.FieldIPv4Src, addr4(p.IPSrc))
		setB(of13.FieldIPv4Dst, addr4(p.IPDst))
	case EthTypeIPv6:
		setB(of13.FieldIPv6Src, addr16(p.IPSrc))
		setB(of13.FieldIPv6Dst, addr16(p.IPDst))
		setU(of13.FieldIPv6FLabel, uint64(p.IPv6FLabel))
	default:
		return
	}
	setU(of13.FieldIPDSCP, uint64(p.DSCP))
	setU(of13.FieldIPECN, uint64(p.ECN))
	setU(of13.FieldIPProto, uint64(p.IPProto))
	switch p.IPProto {
	case ProtoTCP:
		setU(of13.FieldTCPSrc, uint64(p.L4Src))
		setU(of13.FieldTCPDst, uint64(p.L4Dst))
	case ProtoUDP:
		setU(of13.FieldUDPSrc, uint64(p.L4Src))
		setU(of13.FieldUDPDst, uint64(p.L4Dst))
	case ProtoSCTP:
		setU(of13.FieldSCTPSrc, uint64(p.L4Src))
		setU(of13.FieldSCTPDst, uint64(p.L4Dst))
	case ProtoICMP:
		if p.EthType == EthTypeIPv4 {
			setU(of13.FieldICMPv4Type, uint64(p.ICMPType))
			setU(of13.FieldICMPv4Code, uint64(p.ICMPCode))
		}
	case ProtoICMPv6:
		if p.EthType == EthTypeIPv6 {
			setU(of13.FieldICMPv6Type, uint64(p.ICMPType))
			setU(of13.FieldICMPv6Code, uint64(p.ICMPCode))
			switch p.ICMPType {
			case 135:
				setB(of13.FieldIPv6NDTarget, addr16(p.NDTarget))
				setB(of13.FieldIPv6NDSLL, p.NDSLL)
			case 136:
				setB(of13.FieldIPv6NDTarget, addr16(p.NDTarget))
				setB(of13.FieldIPv6NDTLL, p.NDTLL)
			}
		}
	}
}

func addr4(a netip.Addr) []byte {
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		return b[:]
	}
	return nil
}

func addr16(a netip.Addr) []byte {
	if !a.IsValid() {
		return nil
	}
	b := a.As16()
	return b[:]
}

// setField applies a set-field action. It reports false when the packet
// lacks the header the field lives in, which OpenFlow leaves undefined and
// the model treats as a no-op.
func (p *Packet) setField(mf of13.MatchField) bool {
	var v fieldVec
	p.extract(&v)
	f := mf.Field
	if int(f) >= numFields || (v.present&(1<<f) == 0 && f != of13.FieldVlanVID) {
		return false
	}
	b := mf.Value[:f.Size()]
	u := getUint(b)
	mac := func() net.HardwareAddr { return slices.Clone(net.HardwareAddr(b)) }
	switch f {
	case of13.FieldInPort:
		p.InPort = uint32(u)
	case of13.FieldMetadata:
		p.Metadata = u
	case of13.FieldTunnelID:
		p.TunnelID = u
	case of13.FieldEthDst:
		p.EthDst = mac()
	case of13.FieldEthSrc:
		p.EthSrc = mac()
	case of13.FieldEthType:
		p.EthType = uint16(u)
	case of13.FieldVlanVID:
		if len(p.VLANs) == 0 {
			return false
		}
		p.VLANs = slices.Clone(p.VLANs)
		p.VLANs[0].VID = uint16(u) & 0xfff
	case of13.FieldVlanPCP:
		p.VLANs = slices.Clone(p.VLANs)
		p.VLANs[0].PCP = uint8(u) & 7
	case of13.FieldIPDSCP:
		p.DSCP = uint8(u) & 0x3f
	case of13.FieldIPECN:
		p.ECN = uint8(u) & 3
	case of13.FieldIPProto:
		p.IPProto = uint8(u)
	case of13.FieldIPv4Src, of13.FieldIPv6Src:
		p.IPSrc = mf.Addr()
	case of13.FieldIPv4Dst, of13.FieldIPv6Dst:
		p.IPDst = mf.Addr()
	case of13.FieldIPv6FLabel:
		p.IPv6FLabel = uint32(u) & 0xfffff
	case of13.FieldTCPSrc, of13.FieldUDPSrc, of13.FieldSCTPSrc:
		p.L4Src = uint16(u)
	case of13.FieldTCPDst, of13.FieldUDPDst, of13.FieldSCTPDst:
		p.L4Dst = uint16(u)
	case of13.FieldICMPv4Type, of13.FieldICMPv6Type:
		p.ICMPType = uint8(u)
	case of13.FieldICMPv4Code, of13.FieldICMPv6Code:
		p.ICMPCode = uint8(u)
	case of13.FieldARPOp:
		p.ARPOp = uint16(u)
	case of13.FieldARPSPA:
		p.ARPSPA = mf.Addr()
	case of13.FieldARPTPA:
		p.ARPTPA = mf.Addr()
	case of13.FieldARPSHA:
		p.ARPSHA = mac()
	case of13.FieldARPTHA:
		p.ARPTHA = mac()
	case of13.FieldIPv6NDTarget:
		p.NDTarget = mf.Addr()
	case of13.FieldIPv6NDSLL:
		p.NDSLL = mac()
	case of13.FieldIPv6NDTLL:
		p.NDTLL = mac()
	default:
		return false
	}
	return true
}

// String renders the packet's meaningful fields in ovs-ofctl style, for
// test failure messages.
func (p *Packet) String() string {
	var v fieldVec
	p.extract(&v)
	var parts []string
	for f := range of13.Field(numFields) {
		if v.present&(1<<f) == 0 || f == of13.FieldInPhyPort || f == of13.FieldVlanVID ||
			(f == of13.FieldMetadata && p.Metadata == 0) || (f == of13.FieldTunnelID && p.TunnelID == 0) {
			continue
		}
		parts = append(parts, of13.FieldFromBytes(f, v.val[f][:f.Size()], nil).String())
	}
	for _, t := range p.VLANs {
		tpid := t.TPID
		if tpid == 0 {
			tpid = EthTypeVLAN
		}
		parts = append(parts, "vlan(0x"+strconv.FormatUint(uint64(tpid), 16)+",vid="+
			strconv.Itoa(int(t.VID))+",pcp="+strconv.Itoa(int(t.PCP))+")")
	}
	if p.TTL != 0 {
		parts = append(parts, "ttl="+strconv.Itoa(int(p.TTL)))
	}
	return strings.Join(parts, ",")
}
