package config

// LLDPMED is one entry of `voip.lldp_med`: a voice VLAN that phones are
// told about with an LLDP-MED network policy (ANSI/TIA-1057).
type LLDPMED struct {
	// VLAN is the voice VLAN's name and VID.
	VLAN string `json:"vlan"`
	VID  uint16 `json:"vid"`
	// Priority is the 802.1p priority phones are to use (default 5).
	Priority uint8 `json:"priority"`
	// DSCP phones are to mark voice with (default voip.qos.voice_dscp).
	DSCP uint8 `json:"dscp"`
	// Ports restricts the policy to these ports per DP name; nil means
	// every port that carries the VLAN, natively or tagged.
	Ports map[string][]uint32 `json:"ports,omitempty"`
	Pos   Pos                 `json:"-"`
}

// PortLLDPMED is the voice policy a port advertises, resolved from
// voip.lldp_med: Tagged is set when the voice VLAN is tagged on the port.
type PortLLDPMED struct {
	VID      uint16 `json:"vid"`
	Tagged   bool   `json:"tagged"`
	Priority uint8  `json:"priority"`
	DSCP     uint8  `json:"dscp"`
}

// maxOrgInfo is the most an organizationally specific LLDP TLV can carry:
// a TLV holds 511 octets, four of them OUI and subtype (IEEE 802.1AB).
const maxOrgInfo = 507
