package config

import (
	"net"
	"net/netip"
)

// ACL is a named, ordered list of rules.
type ACL struct {
	Name          string  `json:"name"`
	Rules         []*Rule `json:"rules"`
	ExactMatch    bool    `json:"exact_match"`
	Dot1xAssigned bool    `json:"dot1x_assigned"`
	Pos           Pos     `json:"-"`
}

// Rule is one ACL rule. Match fields use canonical OpenFlow names; legacy
// names (dl_type, nw_src...) are translated. An in_port match is kept as
// written; Faucet ignores it in port ACLs, which match their own port.
type Rule struct {
	Match       []MatchField `json:"match"`
	Actions     Actions      `json:"actions"`
	Cookie      *uint32      `json:"cookie,omitempty"`
	Description string       `json:"description,omitempty"`
	Pos         Pos          `json:"-"`
}

// Field returns the match on the named canonical field, or nil.
func (r *Rule) Field(name string) *MatchField {
	for i := range r.Match {
		if r.Match[i].Field == name {
			return &r.Match[i]
		}
	}
	return nil
}

// ValueKind says how a MatchField or SetField value is represented.
type ValueKind int

// Value kinds.
const (
	KindInt ValueKind = iota
	KindMAC
	KindIPv4
	KindIPv6
)

// MatchField is one match in a rule, in configuration order.
type MatchField struct {
	// Field is the canonical OXM name (eth_type, not dl_type).
	Field string `json:"field"`
	// As is the key as written, when it differs from Field.
	As   string    `json:"as,omitempty"`
	Kind ValueKind `json:"kind"`
	// Int and IntMask hold KindInt values.
	Int     uint64 `json:"int,omitempty"`
	IntMask uint64 `json:"int_mask,omitempty"`
	// MAC and MACMask hold KindMAC values.
	MAC     net.HardwareAddr `json:"mac,omitempty"`
	MACMask net.HardwareAddr `json:"mac_mask,omitempty"`
	// Addr holds KindIPv4/KindIPv6 values; AddrMask the (possibly
	// non-contiguous) mask when HasMask.
	Addr     netip.Addr `json:"addr,omitzero"`
	AddrMask netip.Addr `json:"addr_mask,omitzero"`
	HasMask  bool       `json:"has_mask"`
	// Text is the value as written, for messages.
	Text string `json:"text"`
}

// Actions are a rule's actions.
type Actions struct {
	// Allow is nil when not given (Faucet then drops unless output is set).
	Allow         *bool  `json:"allow,omitempty"`
	ForcePortVLAN bool   `json:"force_port_vlan,omitempty"`
	Meter         string `json:"meter,omitempty"`
	// Mirror is the port to mirror to (resolved in DP copies).
	Mirror *PortRef `json:"mirror,omitempty"`
	// Output is nil when no output action is given.
	Output *Output `json:"output,omitempty"`
}

// PortRef is a port reference as written (number or name) and, in DP
// copies, its resolved number (0 in Config.ACLs).
type PortRef struct {
	Ref    string `json:"ref"`
	Number uint32 `json:"number,omitempty"`
}

// Output is a rule's output action. Both the legacy dict form and the
// ordered list form are represented as an ordered list of steps; for the
// dict form the steps are in the order Faucet applies them.
type Output struct {
	Ordered bool         `json:"ordered"`
	Steps   []OutputStep `json:"steps"`
}

// OutputKind names an output step.
type OutputKind string

// Output step kinds.
const (
	OutPort      OutputKind = "port"
	OutPorts     OutputKind = "ports"
	OutVLANVID   OutputKind = "vlan_vid"
	OutVLANVIDs  OutputKind = "vlan_vids"
	OutSwapVID   OutputKind = "swap_vid"
	OutPopVLANs  OutputKind = "pop_vlans"
	OutSetFields OutputKind = "set_fields"
	OutFailover  OutputKind = "failover"
	OutTunnel    OutputKind = "tunnel"
)

// OutputStep is one output action; only the fields for Kind are set:
//
//	port       Port (resolved number in DP copies)
//	ports      Ports
//	vlan_vid   PushVLANs (one 0x8100 header) and VID
//	vlan_vids  PushVLANs
//	swap_vid   VID (rewrite the outer VID)
//	pop_vlans  PopVLANs
//	set_fields SetFields
//	failover   Failover
//	tunnel     Tunnel
type OutputStep struct {
	Kind      OutputKind `json:"kind"`
	Port      *PortRef   `json:"port,omitempty"`
	Ports     []PortRef  `json:"ports,omitempty"`
	VID       uint16     `json:"vid,omitempty"`
	PushVLANs []PushVLAN `json:"vlan_vids,omitempty"`
	PopVLANs  int        `json:"pop_vlans,omitempty"`
	SetFields []SetField `json:"set_fields,omitempty"`
	Failover  *Failover  `json:"failover,omitempty"`
	Tunnel    *Tunnel    `json:"tunnel,omitempty"`
}

// PushVLAN is one VLAN header to push (vlan_vid / vlan_vids).
type PushVLAN struct {
	VID     uint16 `json:"vid"`
	EthType uint16 `json:"eth_type"`
}

// SetField sets one OXM field. Value uses the same encoding as MatchField.
type SetField struct {
	Field string           `json:"field"`
	Kind  ValueKind        `json:"kind"`
	Int   uint64           `json:"int,omitempty"`
	MAC   net.HardwareAddr `json:"mac,omitempty"`
	Addr  netip.Addr       `json:"addr,omitzero"`
	Text  string           `json:"text"`
}

// Failover outputs to the first live port of a fast-failover group.
type Failover struct {
	GroupID uint32    `json:"group_id"`
	Ports   []PortRef `json:"ports"`
}

// Tunnel is a tunnel output (not programmed yet).
type Tunnel struct {
	Type                  string   `json:"type"`
	TunnelID              string   `json:"tunnel_id,omitempty"`
	DP                    string   `json:"dp"`
	Port                  *PortRef `json:"port,omitempty"`
	BiDirectional         bool     `json:"bi_directional"`
	MaintainEncapsulation bool     `json:"maintain_encapsulation"`
	Reverse               bool     `json:"reverse"`
	// VID is the tunnel VLAN, resolved in DP copies (0 when allocated
	// dynamically by the runtime).
	VID uint16 `json:"vid,omitempty"`
}

// Meter is an OpenFlow meter.
type Meter struct {
	Name    string     `json:"name"`
	MeterID uint32     `json:"meter_id"`
	Entry   MeterEntry `json:"entry"`
	Pos     Pos        `json:"-"`
}

// MeterEntry is the meter's OpenFlow meter-mod content.
type MeterEntry struct {
	// Flags among KBPS, PKTPS, BURST, STATS.
	Flags []string    `json:"flags"`
	Bands []MeterBand `json:"bands"`
}

// MeterBand is one meter band.
type MeterBand struct {
	// Type is DROP or DSCP_REMARK.
	Type      string `json:"type"`
	Rate      uint32 `json:"rate"`
	BurstSize uint32 `json:"burst_size,omitempty"`
	PrecLevel uint8  `json:"prec_level,omitempty"`
}

// Router routes between VLANs and optionally speaks BGP.
type Router struct {
	Name string `json:"name"`
	// VLANs routed; in Config.Routers these are the top-level VLAN
	// definitions, in DP copies that DP's VLANs.
	VLANs []*VLAN `json:"-"`
	// VLANNames as configured (names or VIDs as strings).
	VLANNames []string `json:"vlans"`
	BGP       *BGP     `json:"bgp,omitempty"`
	Pos       Pos      `json:"-"`
}

// BGP is a router's BGP speaker configuration.
type BGP struct {
	AS                uint32       `json:"as"`
	NeighborAS        uint32       `json:"neighbor_as"`
	NeighborAddresses []netip.Addr `json:"neighbor_addresses"`
	ServerAddresses   []netip.Addr `json:"server_addresses"`
	Port              uint16       `json:"port"`
	RouterID          netip.Addr   `json:"routerid"`
	// VLAN is the VLAN the speaker peers on (resolved in DP copies;
	// the top-level definition in Config.Routers).
	VLAN        *VLAN  `json:"-"`
	VLANName    string `json:"vlan"`
	ConnectMode string `json:"connect_mode"`
}
