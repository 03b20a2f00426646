package lldp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
)

// EthType is LLDP's EtherType.
const EthType = 0x88cc

// NearestBridge is the destination of Faucet's beacons (802.1AB's nearest
// bridge group address): no 802.1D bridge forwards it.
var NearestBridge = net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}

// TLV types (IEEE 802.1AB-2016 table 8-1).
const (
	TypeEnd          = 0
	TypeChassisID    = 1
	TypePortID       = 2
	TypeTTL          = 3
	TypePortDescr    = 4
	TypeSystemName   = 5
	TypeSystemDescr  = 6
	TypeCapabilities = 7
	TypeMgmtAddr     = 8
	TypeOrg          = 127
)

// Subtypes used by Faucet's beacons.
const (
	ChassisMAC    = 4 // chassis ID subtype: MAC address
	PortIfaceName = 5 // port ID subtype: interface name
)

// Limits of the format: a TLV's length has 9 bits; an organizationally
// specific TLV spends 4 of its octets on OUI and subtype; strings such as
// the system name and port description hold at most 255 octets.
const (
	maxTLVLen  = 511
	MaxOrgInfo = maxTLVLen - 4
	maxString  = 255
	// minPayload is Ethernet's minimum payload; shorter frames are padded
	// with zeros (as Ryu, which builds Faucet's frames, does).
	minPayload = 46
)

// TLV is one LLDP TLV: its 7-bit type and its value (at most 511 octets).
type TLV struct {
	Type  uint8
	Value []byte
}

// Org returns an organizationally specific TLV.
func Org(oui uint32, subtype uint8, info []byte) TLV {
	v := make([]byte, 4, 4+len(info))
	v[0], v[1], v[2], v[3] = byte(oui>>16), byte(oui>>8), byte(oui), subtype
	return TLV{Type: TypeOrg, Value: append(v, info...)}
}

// text returns a string TLV, cut to the format's 255 octets.
func text(t uint8, s string) TLV {
	if len(s) > maxString {
		s = s[:maxString]
	}
	return TLV{Type: t, Value: []byte(s)}
}

// Encode returns an Ethernet frame from src to dst carrying tlvs followed
// by the End TLV. Values longer than a TLV can hold are cut to 511 octets.
func Encode(dst, src net.HardwareAddr, tlvs []TLV) []byte {
	n := 14 + 2
	for _, t := range tlvs {
		n += 2 + min(len(t.Value), maxTLVLen)
	}
	b := make([]byte, 0, max(n, 14+minPayload))
	b = append(b, dst[:6]...)
	b = append(b, src[:6]...)
	b = binary.BigEndian.AppendUint16(b, EthType)
	for _, t := range tlvs {
		v := t.Value
		if len(v) > maxTLVLen {
			v = v[:maxTLVLen]
		}
		b = binary.BigEndian.AppendUint16(b, uint16(t.Type&0x7f)<<9|uint16(len(v)))
		b = append(b, v...)
	}
	b = append(b, 0, 0) // End
	for len(b) < 14+minPayload {
		b = append(b, 0)
	}
	return b
}

// Frame is a parsed LLDPDU with its Ethernet source.
type Frame struct {
	Src net.HardwareAddr
	// TLVs are in frame order, End excluded.
	TLVs []TLV
}

// Parse errors.
var (
	ErrNotLLDP   = errors.New("lldp: not an LLDP frame")
	ErrTruncated = errors.New("lldp: truncated TLV")
	ErrMandatory = errors.New("lldp: chassis ID, port ID and TTL must be the first three TLVs")
)

// maxTLVs bounds the TLVs kept from one frame; a 1500-octet LLDPDU holds
// at most 750 empty TLVs, and a jumbo frame is refused past this.
const maxTLVs = 1024

// Parse reads an Ethernet frame (optionally with one 802.1Q tag) carrying
// an LLDPDU. The values alias data. A frame without an End TLV is accepted
// when its TLVs fill it exactly or are followed by padding.
func Parse(data []byte) (*Frame, error) {
	if len(data) < 14 {
		return nil, ErrNotLLDP
	}
	f := &Frame{Src: net.HardwareAddr(data[6:12])}
	et, off := binary.BigEndian.Uint16(data[12:]), 14
	if et == 0x8100 && len(data) >= 18 {
		et, off = binary.BigEndian.Uint16(data[16:]), 18
	}
	if et != EthType {
		return nil, ErrNotLLDP
	}
	b := data[off:]
	for len(b) >= 2 {
		h := binary.BigEndian.Uint16(b)
		t, l := uint8(h>>9), int(h&0x1ff)
		if t == TypeEnd {
			break
		}
		if len(b) < 2+l {
			return nil, ErrTruncated
		}
		if len(f.TLVs) == maxTLVs {
			return nil, fmt.Errorf("lldp: more than %d TLVs", maxTLVs)
		}
		f.TLVs = append(f.TLVs, TLV{Type: t, Value: b[2 : 2+l]})
		b = b[2+l:]
	}
	if len(f.TLVs) < 3 || f.TLVs[0].Type != TypeChassisID || f.TLVs[1].Type != TypePortID || f.TLVs[2].Type != TypeTTL {
		return nil, ErrMandatory
	}
	if len(f.TLVs[0].Value) < 2 || len(f.TLVs[1].Value) < 2 || len(f.TLVs[2].Value) != 2 {
		return nil, ErrMandatory
	}
	return f, nil
}

// First returns the value of the first TLV of type t, or nil.
func (f *Frame) First(t uint8) []byte {
	for _, x := range f.TLVs {
		if x.Type == t {
			return x.Value
		}
	}
	return nil
}

// ChassisID returns the chassis ID subtype and value.
func (f *Frame) ChassisID() (uint8, []byte) { return f.TLVs[0].Value[0], f.TLVs[0].Value[1:] }

// PortID returns the port ID subtype and value.
func (f *Frame) PortID() (uint8, []byte) { return f.TLVs[1].Value[0], f.TLVs[1].Value[1:] }

// TTL returns the time to live in seconds.
func (f *Frame) TTL() uint16 { return binary.BigEndian.Uint16(f.TLVs[2].Value) }

// OrgTLV is a parsed organizationally specific TLV.
type OrgTLV struct {
	OUI     uint32
	Subtype uint8
	Info    []byte
}

// Orgs returns the organizationally specific TLVs with OUI oui, in order.
// TLVs too short to hold OUI and subtype are skipped.
func (f *Frame) Orgs(oui uint32) []OrgTLV {
	var out []OrgTLV
	for _, x := range f.TLVs {
		if x.Type != TypeOrg || len(x.Value) < 4 {
			continue
		}
		o := uint32(x.Value[0])<<16 | uint32(x.Value[1])<<8 | uint32(x.Value[2])
		if o == oui {
			out = append(out, OrgTLV{OUI: o, Subtype: x.Value[3], Info: x.Value[4:]})
		}
	}
	return out
}
