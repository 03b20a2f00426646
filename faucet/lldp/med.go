package lldp

import (
	"encoding/binary"
	"errors"
)

// LLDP-MED (ANSI/TIA-1057) organizationally specific TLVs.
const (
	// OUITIA is the TIA's OUI, 00-12-BB.
	OUITIA = 0x0012bb
	// MEDCapabilities is the subtype of the LLDP-MED Capabilities TLV
	// (TIA-1057 §10.2.2), which a device sending any LLDP-MED TLV must
	// send first.
	MEDCapabilities = 1
	// MEDNetworkPolicy is the subtype of the Network Policy TLV (§10.2.3).
	MEDNetworkPolicy = 2

	// AppVoice is network policy application type 1, voice.
	AppVoice = 1

	// Capability bits (§10.2.2.1): this TLV itself and network policy.
	CapLLDPMED       = 1 << 0
	CapNetworkPolicy = 1 << 1
	// DeviceNetworkConnectivity is device type 4: a switch or access point.
	DeviceNetworkConnectivity = 4
)

// System capability bits (802.1AB §8.5.8): the switch is a bridge.
const capBridge = 1 << 2

// NetworkPolicy is the content of a Network Policy TLV.
type NetworkPolicy struct {
	App uint8
	// Unknown (U) says the policy is not known; the rest is then ignored.
	Unknown bool
	// Tagged (T) says the application uses 802.1Q tagged frames on
	// VID; untagged, TIA-1057 says VID and priority are to be ignored.
	Tagged   bool
	VID      uint16 // 12 bits
	Priority uint8  // 3 bits, 802.1p
	DSCP     uint8  // 6 bits
}

// TLV encodes p: application type (8 bits), U, T, a reserved bit, VLAN ID
// (12), L2 priority (3) and DSCP (6).
func (p NetworkPolicy) TLV() TLV {
	w := uint32(p.App)<<24 | uint32(p.VID&0xfff)<<9 | uint32(p.Priority&7)<<6 | uint32(p.DSCP&0x3f)
	if p.Unknown {
		w |= 1 << 23
	}
	if p.Tagged {
		w |= 1 << 22
	}
	return Org(OUITIA, MEDNetworkPolicy, binary.BigEndian.AppendUint32(nil, w))
}

// ErrPolicyLength reports a Network Policy TLV whose information is not
// four octets.
var ErrPolicyLength = errors.New("lldp: network policy information must be 4 octets")

// ParseNetworkPolicy decodes the information field of a Network Policy TLV
// (the octets after OUI and subtype).
func ParseNetworkPolicy(info []byte) (NetworkPolicy, error) {
	if len(info) != 4 {
		return NetworkPolicy{}, ErrPolicyLength
	}
	w := binary.BigEndian.Uint32(info)
	return NetworkPolicy{
		App:      uint8(w >> 24),
		Unknown:  w&(1<<23) != 0,
		Tagged:   w&(1<<22) != 0,
		VID:      uint16(w>>9) & 0xfff,
		Priority: uint8(w>>6) & 7,
		DSCP:     uint8(w) & 0x3f,
	}, nil
}

// CapabilitiesTLV is the LLDP-MED Capabilities TLV of a network
// connectivity device that sends network policies.
func CapabilitiesTLV() TLV {
	return Org(OUITIA, MEDCapabilities, []byte{0, CapLLDPMED | CapNetworkPolicy, DeviceNetworkConnectivity})
}

// systemCapabilities is 802.1AB's System Capabilities TLV for a bridge
// with bridging enabled; TIA-1057 §8.2 makes it mandatory in LLDPDUs that
// carry LLDP-MED TLVs.
func systemCapabilities() TLV {
	return TLV{Type: TypeCapabilities, Value: []byte{0, capBridge, 0, capBridge}}
}
