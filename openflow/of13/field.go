package of13

// Field is an OXM field of class OFPXMC_OPENFLOW_BASIC (OpenFlow 1.3 §7.2.3.7).
type Field uint8

// OpenFlow basic match fields, numbered as on the wire.
const (
	FieldInPort       Field = 0
	FieldInPhyPort    Field = 1
	FieldMetadata     Field = 2
	FieldEthDst       Field = 3
	FieldEthSrc       Field = 4
	FieldEthType      Field = 5
	FieldVlanVID      Field = 6
	FieldVlanPCP      Field = 7
	FieldIPDSCP       Field = 8
	FieldIPECN        Field = 9
	FieldIPProto      Field = 10
	FieldIPv4Src      Field = 11
	FieldIPv4Dst      Field = 12
	FieldTCPSrc       Field = 13
	FieldTCPDst       Field = 14
	FieldUDPSrc       Field = 15
	FieldUDPDst       Field = 16
	FieldSCTPSrc      Field = 17
	FieldSCTPDst      Field = 18
	FieldICMPv4Type   Field = 19
	FieldICMPv4Code   Field = 20
	FieldARPOp        Field = 21
	FieldARPSPA       Field = 22
	FieldARPTPA       Field = 23
	FieldARPSHA       Field = 24
	FieldARPTHA       Field = 25
	FieldIPv6Src      Field = 26
	FieldIPv6Dst      Field = 27
	FieldIPv6FLabel   Field = 28
	FieldICMPv6Type   Field = 29
	FieldICMPv6Code   Field = 30
	FieldIPv6NDTarget Field = 31
	FieldIPv6NDSLL    Field = 32
	FieldIPv6NDTLL    Field = 33
	FieldMPLSLabel    Field = 34
	FieldMPLSTC       Field = 35
	FieldMPLSBoS      Field = 36
	FieldPBBISID      Field = 37
	FieldTunnelID     Field = 38
	FieldIPv6ExtHdr   Field = 39

	numFields = 40
)

// fieldInfo describes a field's width on the wire and its ovs-ofctl name.
type fieldInfo struct {
	size int
	name string
}

// fields is indexed by Field. It is read-only.
var fields = [numFields]fieldInfo{
	FieldInPort:       {4, "in_port"},
	FieldInPhyPort:    {4, "in_phy_port"},
	FieldMetadata:     {8, "metadata"},
	FieldEthDst:       {6, "dl_dst"},
	FieldEthSrc:       {6, "dl_src"},
	FieldEthType:      {2, "dl_type"},
	FieldVlanVID:      {2, "vlan_vid"},
	FieldVlanPCP:      {1, "vlan_pcp"},
	FieldIPDSCP:       {1, "ip_dscp"},
	FieldIPECN:        {1, "nw_ecn"},
	FieldIPProto:      {1, "nw_proto"},
	FieldIPv4Src:      {4, "nw_src"},
	FieldIPv4Dst:      {4, "nw_dst"},
	FieldTCPSrc:       {2, "tcp_src"},
	FieldTCPDst:       {2, "tcp_dst"},
	FieldUDPSrc:       {2, "udp_src"},
	FieldUDPDst:       {2, "udp_dst"},
	FieldSCTPSrc:      {2, "sctp_src"},
	FieldSCTPDst:      {2, "sctp_dst"},
	FieldICMPv4Type:   {1, "icmp_type"},
	FieldICMPv4Code:   {1, "icmp_code"},
	FieldARPOp:        {2, "arp_op"},
	FieldARPSPA:       {4, "arp_spa"},
	FieldARPTPA:       {4, "arp_tpa"},
	FieldARPSHA:       {6, "arp_sha"},
	FieldARPTHA:       {6, "arp_tha"},
	FieldIPv6Src:      {16, "ipv6_src"},
	FieldIPv6Dst:      {16, "ipv6_dst"},
	FieldIPv6FLabel:   {4, "ipv6_label"},
	FieldICMPv6Type:   {1, "icmpv6_type"},
	FieldICMPv6Code:   {1, "icmpv6_code"},
	FieldIPv6NDTarget: {16, "nd_target"},
	FieldIPv6NDSLL:    {6, "nd_sll"},
	FieldIPv6NDTLL:    {6, "nd_tll"},
	FieldMPLSLabel:    {4, "mpls_label"},
	FieldMPLSTC:       {1, "mpls_tc"},
	FieldMPLSBoS:      {1, "mpls_bos"},
	FieldPBBISID:      {3, "pbb_isid"},
	FieldTunnelID:     {8, "tun_id"},
	FieldIPv6ExtHdr:   {2, "ipv6_exthdr"},
}

// Size is the field's width in bytes on the wire, 0 for an unknown field.
func (f Field) Size() int {
	if int(f) >= numFields {
		return 0
	}
	return fields[f].size
}

// Name is the field's name in ovs-ofctl syntax.
func (f Field) Name() string {
	if int(f) >= numFields {
		return "field" + itoa(uint64(f))
	}
	return fields[f].name
}

// String implements fmt.Stringer.
func (f Field) String() string { return f.Name() }

// OXMVlanPresent is the OFPVID_PRESENT bit: a vlan_vid match or set-field
// value with it set refers to a tagged frame (OpenFlow 1.3 §7.2.3.8).
const OXMVlanPresent = 0x1000
