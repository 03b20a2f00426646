package config

import (
	"net"
	"net/netip"
	"sort"
)

// Pos locates a configuration object: the file and line:column where its
// YAML node starts, and its dotted object path (dps.sw1.interfaces.3).
type Pos struct {
	File string
	Line int
	Col  int
	Path string
}

// Config is a fully validated configuration. It is immutable: callers must
// not modify it or anything reachable from it.
type Config struct {
	// DPs in the order they appear in the configuration.
	DPs []*DP `json:"dps"`
	// VLANs, ACLs, Routers and Meters are the top-level definitions as
	// written (ACL port references unresolved). The per-DP resolved views
	// live in DP.VLANs, DP.ACLs, DP.Routers and DP.Meters.
	VLANs   []*VLAN   `json:"vlans"`
	ACLs    []*ACL    `json:"acls"`
	Routers []*Router `json:"routers"`
	Meters  []*Meter  `json:"meters"`
	// VoIP is the `voip:` section, nil when absent.
	VoIP *VoIP `json:"voip,omitempty"`
	// Files lists every file read (main file first), for watching.
	Files []string `json:"files"`
	// Warnings are problems Faucet tolerates, such as a skipped
	// include-optional file.
	Warnings Errors `json:"-"`

	dpByName map[string]*DP
}

// DP returns the datapath with the given name, or nil.
func (c *Config) DP(name string) *DP { return c.dpByName[name] }

// DPByID returns the datapath with the given dp_id, or nil.
func (c *Config) DPByID(id uint64) *DP {
	for _, dp := range c.DPs {
		if dp.ID == id {
			return dp
		}
	}
	return nil
}

// DP is one datapath (switch) with every Faucet dp-level key resolved to
// its value or default.
type DP struct {
	Name        string `json:"name"`
	ID          uint64 `json:"dp_id"`
	Description string `json:"description"`
	// Hardware is the `hardware` key (default "Open vSwitch").
	Hardware string `json:"hardware"`

	PriorityOffset  int `json:"priority_offset"`
	LowestPriority  int `json:"lowest_priority"`
	LowPriority     int `json:"low_priority"`
	HighPriority    int `json:"high_priority"`
	HighestPriority int `json:"highest_priority"`

	Cookie             uint64 `json:"cookie"`
	Timeout            int    `json:"timeout"`
	ARPNeighborTimeout int    `json:"arp_neighbor_timeout"`
	NDNeighborTimeout  int    `json:"nd_neighbor_timeout"`
	OFChannelLog       string `json:"ofchannel_log,omitempty"`

	IgnoreLearnIns             int  `json:"ignore_learn_ins"`
	DropBroadcastSourceAddress bool `json:"drop_broadcast_source_address"`
	DropSpoofedFaucetMAC       bool `json:"drop_spoofed_faucet_mac"`
	GroupTable                 bool `json:"group_table"`
	// KeepForeignFlows (voipsdn's keep_foreign_flows, default false) keeps
	// flows, meters and groups the controller did not install, for a
	// switch shared with another controller. By default the controller
	// owns every table, as Faucet does, and deletes what is not its own.
	KeepForeignFlows        bool `json:"keep_foreign_flows,omitempty"`
	MaxHostsPerResolveCycle int  `json:"max_hosts_per_resolve_cycle"`
	MaxHostFIBRetryCount    int  `json:"max_host_fib_retry_count"`
	MaxResolveBackoffTime   int  `json:"max_resolve_backoff_time"`
	// PacketInPPS and SlowpathPPS are 0 when not configured.
	PacketInPPS            int              `json:"packetin_pps,omitempty"`
	SlowpathPPS            int              `json:"slowpath_pps,omitempty"`
	LearnJitter            int              `json:"learn_jitter"`
	LearnBanTimeout        int              `json:"learn_ban_timeout"`
	AdvertiseInterval      int              `json:"advertise_interval"`
	FastAdvertiseInterval  int              `json:"fast_advertise_interval"`
	ProactiveLearnV4       bool             `json:"proactive_learn_v4"`
	ProactiveLearnV6       bool             `json:"proactive_learn_v6"`
	UseIdleTimeout         bool             `json:"use_idle_timeout"`
	MetricsRateLimitSec    int              `json:"metrics_rate_limit_sec"`
	FaucetDPMAC            net.HardwareAddr `json:"-"`
	CombinatorialPortFlood bool             `json:"combinatorial_port_flood"`
	LACPTimeout            int              `json:"lacp_timeout"`
	TableSizes             map[string]int   `json:"table_sizes,omitempty"`
	MinWildcardTableSize   int              `json:"min_wildcard_table_size"`
	MaxWildcardTableSize   int              `json:"max_wildcard_table_size"`
	PortTableScaleFactor   float64          `json:"port_table_scale_factor"`
	GlobalVLAN             uint16           `json:"global_vlan"`
	CacheUpdateGuardTime   int              `json:"cache_update_guard_time"`
	UseClassification      bool             `json:"use_classification"`
	EgressPipeline         bool             `json:"egress_pipeline"`
	StrictPacketInCookie   bool             `json:"strict_packet_in_cookie"`
	MultiOut               bool             `json:"multi_out"`
	IdleDst                bool             `json:"idle_dst"`

	// LLDPBeacon is nil when not configured (and no stack forces it).
	LLDPBeacon *DPLLDPBeacon `json:"lldp_beacon,omitempty"`
	// Stack is nil unless this DP has stack ports (Faucet drops it otherwise).
	Stack *DPStack `json:"stack,omitempty"`
	// Dot1x is nil unless configured.
	Dot1x *DPDot1x `json:"dot1x,omitempty"`

	// Ports sorted by number, including ports created by interface_ranges.
	Ports []*Port `json:"interfaces"`
	// VLANs on this DP, by VID: per-DP copies with this DP's port
	// membership. As in Faucet, every configured or implicitly created
	// VLAN is on every DP (plus tunnel VLANs); VLAN.Ports() is empty for
	// VLANs with no port here.
	VLANs []*VLAN `json:"vlans"`
	// ACLs referenced by this DP, resolved against its ports, by name.
	ACLs []*ACL `json:"acls"`
	// DPACLs is the dp_acls list (overrides port ACLs when set).
	DPACLs []*ACL `json:"-"`
	// Meters used by this DP's ACLs, by name.
	Meters []*Meter `json:"meters"`
	// Routers with at least one VLAN on this DP (or a BGP VLAN), by name.
	Routers []*Router `json:"routers"`

	Pos Pos `json:"-"`

	portByNum  map[uint32]*Port
	portByName map[string]*Port
	vlanByVID  map[uint16]*VLAN
	aclByName  map[string]*ACL
}

// Port returns the port with the given number, or nil.
func (dp *DP) Port(number uint32) *Port { return dp.portByNum[number] }

// PortByName returns the port with the given name, or nil.
func (dp *DP) PortByName(name string) *Port { return dp.portByName[name] }

// VLAN returns this DP's VLAN with the given VID, or nil.
func (dp *DP) VLAN(vid uint16) *VLAN { return dp.vlanByVID[vid] }

// ACL returns this DP's resolved ACL with the given name, or nil.
func (dp *DP) ACL(name string) *ACL { return dp.aclByName[name] }

// DPLLDPBeacon is the dp-level lldp_beacon section.
type DPLLDPBeacon struct {
	SendInterval   int    `json:"send_interval"`
	MaxPerInterval int    `json:"max_per_interval"`
	SystemName     string `json:"system_name"`
}

// DPStack is the dp-level stack section (package stack elects the root from it).
type DPStack struct {
	Priority         int     `json:"priority,omitempty"`
	RouteLearning    bool    `json:"route_learning"`
	DownTimeMultiple int     `json:"down_time_multiple"`
	MinStackHealth   float64 `json:"min_stack_health"`
	MinLACPHealth    float64 `json:"min_lacp_health"`
}

// DPDot1x is the dp-level dot1x section (not programmed yet). The RADIUS
// secret is deliberately not exported to JSON.
type DPDot1x struct {
	NFVIntf      string `json:"nfv_intf,omitempty"`
	NFVSwPort    uint32 `json:"nfv_sw_port,omitempty"`
	RadiusIP     string `json:"radius_ip,omitempty"`
	RadiusPort   int    `json:"radius_port,omitempty"`
	RadiusSecret string `json:"-"`
	AuthACL      string `json:"auth_acl,omitempty"`
	NoAuthACL    string `json:"noauth_acl,omitempty"`
}

// Port is one interface of a DP, with interface_ranges applied.
type Port struct {
	Number      uint32 `json:"number"`
	Name        string `json:"name"`
	Description string `json:"description"`

	// NativeVLAN is nil when the port has no untagged VLAN.
	NativeVLAN  *VLAN   `json:"-"`
	TaggedVLANs []*VLAN `json:"-"`
	// ACLsIn are this DP's resolved ACLs applied on input, in order.
	ACLsIn []*ACL `json:"-"`

	Enabled              bool             `json:"enabled"`
	PermanentLearn       bool             `json:"permanent_learn"`
	UnicastFlood         bool             `json:"unicast_flood"`
	MaxHosts             int              `json:"max_hosts"`
	Hairpin              bool             `json:"hairpin"`
	HairpinUnicast       bool             `json:"hairpin_unicast"`
	LoopProtect          bool             `json:"loop_protect"`
	LoopProtectExternal  bool             `json:"loop_protect_external"`
	OutputOnly           bool             `json:"output_only"`
	OpstatusReconf       bool             `json:"opstatus_reconf"`
	ReceiveLLDP          bool             `json:"receive_lldp"`
	MaxLLDPLost          int              `json:"max_lldp_lost"`
	RestrictedBcastARPND bool             `json:"restricted_bcast_arpnd"`
	CountUntagVLANMiss   bool             `json:"count_untag_vlan_miss"`
	LLDPPeerMAC          net.HardwareAddr `json:"-"`

	// Mirror lists the ports whose traffic this port receives a copy of
	// (the `mirror:` key as written: "mirror packets from those ports to
	// this one"), resolved to numbers.
	Mirror []uint32 `json:"mirror,omitempty"`
	// MirroredTo lists the ports that receive copies of this port's
	// traffic (the inverse of Mirror, as Faucet uses internally).
	MirroredTo []uint32 `json:"-"`

	LACP        int         `json:"lacp"`
	LACPOptions LACPOptions `json:"lacp_options"`

	// Stack is nil unless this is a stack port.
	Stack *PortStack `json:"stack,omitempty"`
	// LLDPBeacon is nil unless configured (or forced by stacking).
	LLDPBeacon *PortLLDPBeacon `json:"lldp_beacon,omitempty"`
	// LLDPMED is the voice policy this port advertises (voip.lldp_med),
	// nil when none applies.
	LLDPMED *PortLLDPMED `json:"lldp_med,omitempty"`

	Dot1x       bool `json:"dot1x"`
	Dot1xACL    bool `json:"dot1x_acl"`
	Dot1xMAB    bool `json:"dot1x_mab"`
	Dot1xDynACL bool `json:"dot1x_dyn_acl"`

	// Coprocessor is nil unless configured.
	Coprocessor *Coprocessor `json:"coprocessor,omitempty"`

	Pos Pos `json:"-"`
}

// VLANs returns the native VLAN (if any) followed by the tagged VLANs.
func (p *Port) VLANs() []*VLAN {
	out := make([]*VLAN, 0, len(p.TaggedVLANs)+1)
	if p.NativeVLAN != nil {
		out = append(out, p.NativeVLAN)
	}
	return append(out, p.TaggedVLANs...)
}

// LACPOptions holds the port lacp_* keys.
type LACPOptions struct {
	Active               bool     `json:"lacp_active"`
	CollectAndDistribute bool     `json:"lacp_collect_and_distribute"`
	Unselected           bool     `json:"lacp_unselected"`
	Selected             bool     `json:"lacp_selected"`
	Standby              bool     `json:"lacp_standby"`
	Passthrough          []uint32 `json:"lacp_passthrough,omitempty"`
	RespInterval         int      `json:"lacp_resp_interval"`
	PortPriority         int      `json:"lacp_port_priority"`
	PortID               int      `json:"lacp_port_id"`
}

// PortStack is a port's stack peer.
type PortStack struct {
	DP   string `json:"dp"`
	Port uint32 `json:"port"`
}

// PortLLDPBeacon is a port's lldp_beacon section.
type PortLLDPBeacon struct {
	Enable     bool     `json:"enable"`
	SystemName string   `json:"system_name,omitempty"`
	PortDescr  string   `json:"port_descr,omitempty"`
	OrgTLVs    []OrgTLV `json:"org_tlvs,omitempty"`
}

// OrgTLV is one organisationally specific LLDP TLV.
type OrgTLV struct {
	OUI     uint32 `json:"oui"`
	Subtype uint8  `json:"subtype"`
	Info    []byte `json:"info"`
}

// Coprocessor is a port's coprocessor section.
type Coprocessor struct {
	Strategy    string `json:"strategy"`
	VLANVIDBase int    `json:"vlan_vid_base"`
}

// VLAN is one VLAN. Config.VLANs holds the definitions; DP.VLANs holds
// per-DP copies whose Tagged/Untagged list that DP's ports.
type VLAN struct {
	Name        string `json:"name"`
	VID         uint16 `json:"vid"`
	Description string `json:"description"`

	FaucetVIPs []netip.Prefix   `json:"faucet_vips,omitempty"`
	FaucetMAC  net.HardwareAddr `json:"-"`
	Routes     []Route          `json:"routes,omitempty"`

	MaxHosts             int  `json:"max_hosts"`
	UnicastFlood         bool `json:"unicast_flood"`
	ProactiveARPLimit    int  `json:"proactive_arp_limit"`
	ProactiveNDLimit     int  `json:"proactive_nd_limit"`
	TargetedGWResolution bool `json:"targeted_gw_resolution"`
	MinimumIPSizeCheck   bool `json:"minimum_ip_size_check"`
	ReservedInternalVLAN bool `json:"reserved_internal_vlan"`
	Dot1xAssigned        bool `json:"dot1x_assigned"`
	EdgeLearnStackRoot   bool `json:"edge_learn_stack_root"`

	// ACL names as configured; resolved ACLs in DP copies.
	ACLsInNames  []string `json:"acls_in,omitempty"`
	ACLsOutNames []string `json:"acls_out,omitempty"`
	ACLsIn       []*ACL   `json:"-"`
	ACLsOut      []*ACL   `json:"-"`

	// Tagged and Untagged are port numbers (sorted) on the owning DP; empty
	// in Config.VLANs.
	Tagged   []uint32 `json:"tagged,omitempty"`
	Untagged []uint32 `json:"untagged,omitempty"`

	// Implicit is true when the VLAN was created by a bare VID reference.
	Implicit bool `json:"implicit,omitempty"`

	Pos Pos `json:"-"`
}

// Ports returns all port numbers in the VLAN, sorted.
func (v *VLAN) Ports() []uint32 {
	out := append(append([]uint32(nil), v.Tagged...), v.Untagged...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Route is a static route on a VLAN.
type Route struct {
	Dst     netip.Prefix `json:"ip_dst"`
	Gateway netip.Addr   `json:"ip_gw"`
}
