package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// ACL flows start at the filter priority and count down one per rule, so
// rules apply in order; exact_match ACLs put every rule at the top
// priority (valve_acl.build_acl_ofmsgs). A packet that matches no rule
// meets the table-miss flow: ACLs deny by default.
const aclPriority = priorityFilter

// oxmFields maps Faucet's canonical match names to OpenFlow fields.
var oxmFields = map[string]of13.Field{
	"in_port": of13.FieldInPort, "in_phy_port": of13.FieldInPhyPort, "metadata": of13.FieldMetadata,
	"eth_dst": of13.FieldEthDst, "eth_src": of13.FieldEthSrc, "eth_type": of13.FieldEthType,
	"vlan_vid": of13.FieldVlanVID, "vlan_pcp": of13.FieldVlanPCP, "ip_dscp": of13.FieldIPDSCP,
	"ip_ecn": of13.FieldIPECN, "ip_proto": of13.FieldIPProto, "ipv4_src": of13.FieldIPv4Src,
	"ipv4_dst": of13.FieldIPv4Dst, "tcp_src": of13.FieldTCPSrc, "tcp_dst": of13.FieldTCPDst,
	"udp_src": of13.FieldUDPSrc, "udp_dst": of13.FieldUDPDst, "sctp_src": of13.FieldSCTPSrc,
	"sctp_dst": of13.FieldSCTPDst, "icmpv4_type": of13.FieldICMPv4Type, "icmpv4_code": of13.FieldICMPv4Code,
	"arp_op": of13.FieldARPOp, "arp_spa": of13.FieldARPSPA, "arp_tpa": of13.FieldARPTPA,
	"arp_sha": of13.FieldARPSHA, "arp_tha": of13.FieldARPTHA, "ipv6_src": of13.FieldIPv6Src,
	"ipv6_dst": of13.FieldIPv6Dst, "ipv6_flabel": of13.FieldIPv6FLabel, "icmpv6_type": of13.FieldICMPv6Type,
	"icmpv6_code": of13.FieldICMPv6Code, "ipv6_nd_target": of13.FieldIPv6NDTarget,
	"ipv6_nd_sll": of13.FieldIPv6NDSLL, "ipv6_nd_tll": of13.FieldIPv6NDTLL,
	"mpls_label": of13.FieldMPLSLabel, "mpls_tc": of13.FieldMPLSTC, "mpls_bos": of13.FieldMPLSBoS,
	"pbb_isid": of13.FieldPBBISID, "tunnel_id": of13.FieldTunnelID, "ipv6_exthdr": of13.FieldIPv6ExtHdr,
}

// ruleField converts one configured match to an OpenFlow match field.
func ruleField(mf config.MatchField) (of13.MatchField, error) {
	f, ok := oxmFields[mf.Field]
	if !ok {
		return of13.MatchField{}, fmt.Errorf("match field %s is not an OpenFlow 1.3 field voipsdn can program", mf.Field)
	}
	switch mf.Kind {
	case config.KindMAC:
		if mf.HasMask {
			return of13.MaskedMACField(f, mf.MAC, mf.MACMask), nil
		}
		return of13.MACField(f, mf.MAC), nil
	case config.KindIPv4, config.KindIPv6:
		if mf.HasMask {
			return of13.FieldFromBytes(f, mf.Addr.AsSlice(), mf.AddrMask.AsSlice()), nil
		}
		return of13.AddrField(f, mf.Addr), nil
	}
	if mf.HasMask {
		return of13.MaskedUintField(f, mf.Int, mf.IntMask), nil
	}
	return of13.UintField(f, mf.Int), nil
}

// ruleMatch builds a rule's match; in_port and vlan_vid, when non-zero,
// are added (and override the rule's own), as Faucet scopes port and VLAN
// ACLs.
func ruleMatch(r *config.Rule, inPort uint32, vid uint16) (of13.Match, error) {
	var m of13.Match
	for _, mf := range r.Match {
		f, err := ruleField(mf)
		if err != nil {
			return nil, err
		}
		m = m.With(f)
	}
	if inPort != 0 {
		m = m.With(of13.InPort(inPort))
	}
	if vid != 0 {
		m = m.With(of13.VlanVID(vid))
	}
	if err := checkPrereqs(m); err != nil {
		return nil, err
	}
	return m, nil
}

// aclTableDecl narrows an ACL table's declaration to the fields its ACLs
// match (masked if any rule masks them), plus extra, as Faucet's
// DP._generate_acl_tables does.
func aclTableDecl(name string, acls []*config.ACL, extra of13.Field) (TableDecl, error) {
	var d TableDecl
	for _, t := range faucetPipeline {
		if t.Name == name {
			d = t
		}
	}
	d.AnyMatch = false
	d.Match = []MatchDecl{{Field: extra}}
	for _, acl := range acls {
		for i, r := range acl.Rules {
			for _, mf := range r.Match {
				f, err := ruleField(mf)
				if err != nil {
					return TableDecl{}, fmt.Errorf("acl %s rule %d: %w", acl.Name, i+1, err)
				}
				i := slices.IndexFunc(d.Match, func(m MatchDecl) bool { return m.Field == f.Field })
				if i < 0 {
					d.Match = append(d.Match, MatchDecl{Field: f.Field, Maskable: f.Masked})
				} else if f.Masked {
					d.Match[i].Maskable = true
				}
			}
		}
	}
	slices.SortFunc(d.Match, func(a, b MatchDecl) int { return int(a.Field) - int(b.Field) })
	return d, nil
}

// aclScope says where a list of ACLs applies and where allowed packets go.
type aclScope struct {
	owner  string
	table  string
	inPort uint32
	vid    uint16
	// allow and force are the goto of allowed and force_port_vlan packets.
	allow, force string
}

// compileACLs emits one flow per rule of acls, in order.
func (c *compiler) compileACLs(acls []*config.ACL, s aclScope) error {
	if len(acls) == 0 {
		return nil
	}
	exact := acls[0].ExactMatch
	prio := aclPriority
	for _, acl := range acls {
		for i, r := range acl.Rules {
			spec, err := c.ruleSpec(r, s)
			if err != nil {
				return fmt.Errorf("acl %s rule %d: %w", acl.Name, i+1, err)
			}
			spec.Priority = prio
			if exact {
				spec.Priority = aclPriority
			}
			c.e.add(s.owner, spec)
			prio--
		}
	}
	return nil
}

// ruleSpec translates one rule (valve_acl.build_acl_entry). A packet is
// allowed on (goto) only when allow is true, or when the rule mirrors and
// does not say allow; otherwise the actions run and the packet stops.
func (c *compiler) ruleSpec(r *config.Rule, s aclScope) (flowSpec, error) {
	m, err := ruleMatch(r, s.inPort, s.vid)
	if err != nil {
		return flowSpec{}, err
	}
	spec := flowSpec{Table: s.table, Match: m}
	if r.Cookie != nil {
		spec.Cookie = uint64(*r.Cookie)
	}
	a := r.Actions
	allow := a.Allow != nil && *a.Allow
	if a.Meter != "" {
		mt := c.meterByName(a.Meter)
		if mt == nil {
			return flowSpec{}, fmt.Errorf("unknown meter %q", a.Meter)
		}
		c.meters[mt.Name] = mt
		spec.Meter = mt.MeterID
	}
	if a.Mirror != nil {
		if a.Mirror.Number == 0 {
			return flowSpec{}, fmt.Errorf("mirror port %q not resolved", a.Mirror.Ref)
		}
		spec.Apply = append(spec.Apply, of13.Output(a.Mirror.Number))
		if a.Allow == nil {
			allow = true
		}
	}
	if a.Output != nil {
		acts, err := c.outputSteps(a.Output.Steps)
		if err != nil {
			return flowSpec{}, err
		}
		spec.Apply = append(spec.Apply, acts...)
	}
	if allow {
		spec.Goto = s.allow
		if a.ForcePortVLAN {
			spec.Goto = s.force
		}
	}
	return spec, nil
}

// outputSteps translates an output action's steps, in order.
func (c *compiler) outputSteps(steps []config.OutputStep) ([]of13.Action, error) {
	var acts []of13.Action
	port := func(r config.PortRef) (uint32, error) {
		if r.Number == 0 {
			return 0, fmt.Errorf("output port %q not resolved", r.Ref)
		}
		return r.Number, nil
	}
	for _, st := range steps {
		switch st.Kind {
		case config.OutPort:
			if st.Port == nil {
				return nil, fmt.Errorf("output port missing")
			}
			n, err := port(*st.Port)
			if err != nil {
				return nil, err
			}
			acts = append(acts, of13.Output(n))
		case config.OutPorts:
			for _, r := range st.Ports {
				n, err := port(r)
				if err != nil {
					return nil, err
				}
				acts = append(acts, of13.Output(n))
			}
		case config.OutVLANVID, config.OutVLANVIDs:
			push := st.PushVLANs
			if len(push) == 0 {
				push = []config.PushVLAN{{VID: st.VID}}
			}
			for _, pv := range push {
				et := pv.EthType
				if et == 0 {
					et = EthType8021Q
				}
				acts = append(acts, of13.PushVLAN(et), of13.SetVlanVID(pv.VID))
			}
		case config.OutSwapVID:
			acts = append(acts, of13.SetVlanVID(st.VID))
		case config.OutPopVLANs:
			for i := 0; i < st.PopVLANs; i++ {
				acts = append(acts, of13.PopVLAN())
			}
		case config.OutSetFields:
			for _, sf := range st.SetFields {
				a, err := setFieldAction(sf)
				if err != nil {
					return nil, err
				}
				acts = append(acts, a)
			}
		case config.OutFailover:
			if st.Failover == nil {
				return nil, fmt.Errorf("failover output missing")
			}
			g := of13.Group{ID: st.Failover.GroupID, Type: of13.GroupTypeFF}
			for _, r := range st.Failover.Ports {
				n, err := port(r)
				if err != nil {
					return nil, err
				}
				g.Buckets = append(g.Buckets, of13.Bucket{WatchPort: n, WatchGroup: of13.GroupAny,
					Actions: []of13.Action{of13.Output(n)}})
			}
			if err := c.addGroup(g); err != nil {
				return nil, err
			}
			acts = append(acts, of13.GroupAction(g.ID))
		default:
			return nil, fmt.Errorf("output %s is not supported by voipsdn yet", st.Kind)
		}
	}
	return acts, nil
}

// setFieldAction converts one set_fields entry.
func setFieldAction(sf config.SetField) (of13.Action, error) {
	f, ok := oxmFields[sf.Field]
	if !ok {
		return of13.Action{}, fmt.Errorf("set_fields: %s is not an OpenFlow 1.3 field", sf.Field)
	}
	switch sf.Kind {
	case config.KindMAC:
		return of13.SetField(of13.MACField(f, sf.MAC)), nil
	case config.KindIPv4, config.KindIPv6:
		return of13.SetField(of13.AddrField(f, sf.Addr)), nil
	}
	if f == of13.FieldVlanVID {
		return of13.SetVlanVID(uint16(sf.Int)), nil
	}
	return of13.SetField(of13.UintField(f, sf.Int)), nil
}

// portACLFlows compiles the port_acl flows of one port: its acls_in, or
// an allow-all flow when it has none, unless dp_acls replace port ACLs
// (ValveAclManager.add_port).
func (c *compiler) portACLFlows(p *config.Port) error {
	if !c.tables.Has(TablePortACL) || len(c.dp.DPACLs) > 0 {
		return nil
	}
	s := aclScope{owner: PortOwner(p.Number), table: TablePortACL, inPort: p.Number,
		allow: TableVLAN, force: c.outputTable()}
	if len(p.ACLsIn) == 0 {
		c.e.add(s.owner, flowSpec{Table: TablePortACL, Priority: aclPriority,
			Match: of13.NewMatch(of13.InPort(p.Number)), Goto: TableVLAN})
		return nil
	}
	if err := c.compileACLs(p.ACLsIn, s); err != nil {
		return fmt.Errorf("port %d: %w", p.Number, err)
	}
	return nil
}

// vlanACLFlows compiles a VLAN's acls_in into vlan_acl. Allowed packets
// continue to eth_src.
func (c *compiler) vlanACLFlows(v *config.VLAN) error {
	s := aclScope{owner: VLANOwner(v.VID), table: TableVLANACL, vid: v.VID,
		allow: TableEthSrc, force: c.outputTable()}
	if err := c.compileACLs(v.ACLsIn, s); err != nil {
		return fmt.Errorf("vlan %d: %w", v.VID, err)
	}
	return nil
}

// dpACLs compiles dp_acls into port_acl for every packet, whatever its
// port. Unlike Faucet, a rule's in_port is kept.
func (c *compiler) dpACLs() error {
	if len(c.dp.DPACLs) == 0 {
		return nil
	}
	prio := aclPriority
	for _, acl := range c.dp.DPACLs {
		s := aclScope{owner: ACLOwner(acl.Name), table: TablePortACL, allow: TableVLAN, force: c.outputTable()}
		for i, r := range acl.Rules {
			spec, err := c.ruleSpec(r, s)
			if err != nil {
				return fmt.Errorf("dp_acls %s rule %d: %w", acl.Name, i+1, err)
			}
			spec.Priority = prio
			prio--
			c.e.add(s.owner, spec)
		}
	}
	return nil
}

// prereq is a match field's OpenFlow 1.3 prerequisite (§7.2.3.8): another
// field that must be matched to one of values.
type prereq struct {
	field  of13.Field
	values []uint64
}

var (
	ipEthTypes = []uint64{uint64(EthTypeIPv4), uint64(EthTypeIPv6)}
	prereqs    = map[of13.Field]prereq{
		of13.FieldIPDSCP: {of13.FieldEthType, ipEthTypes}, of13.FieldIPECN: {of13.FieldEthType, ipEthTypes},
		of13.FieldIPProto: {of13.FieldEthType, ipEthTypes},
		of13.FieldIPv4Src: {of13.FieldEthType, []uint64{0x0800}}, of13.FieldIPv4Dst: {of13.FieldEthType, []uint64{0x0800}},
		of13.FieldIPv6Src: {of13.FieldEthType, []uint64{0x86dd}}, of13.FieldIPv6Dst: {of13.FieldEthType, []uint64{0x86dd}},
		of13.FieldIPv6FLabel: {of13.FieldEthType, []uint64{0x86dd}}, of13.FieldIPv6ExtHdr: {of13.FieldEthType, []uint64{0x86dd}},
		of13.FieldTCPSrc: {of13.FieldIPProto, []uint64{6}}, of13.FieldTCPDst: {of13.FieldIPProto, []uint64{6}},
		of13.FieldUDPSrc: {of13.FieldIPProto, []uint64{17}}, of13.FieldUDPDst: {of13.FieldIPProto, []uint64{17}},
		of13.FieldSCTPSrc: {of13.FieldIPProto, []uint64{132}}, of13.FieldSCTPDst: {of13.FieldIPProto, []uint64{132}},
		of13.FieldICMPv4Type: {of13.FieldIPProto, []uint64{1}}, of13.FieldICMPv4Code: {of13.FieldIPProto, []uint64{1}},
		of13.FieldICMPv6Type: {of13.FieldIPProto, []uint64{58}}, of13.FieldICMPv6Code: {of13.FieldIPProto, []uint64{58}},
		of13.FieldIPv6NDTarget: {of13.FieldICMPv6Type, []uint64{135, 136}},
		of13.FieldIPv6NDSLL:    {of13.FieldICMPv6Type, []uint64{135}},
		of13.FieldIPv6NDTLL:    {of13.FieldICMPv6Type, []uint64{136}},
		of13.FieldARPOp:        {of13.FieldEthType, []uint64{0x0806}}, of13.FieldARPSPA: {of13.FieldEthType, []uint64{0x0806}},
		of13.FieldARPTPA: {of13.FieldEthType, []uint64{0x0806}}, of13.FieldARPSHA: {of13.FieldEthType, []uint64{0x0806}},
		of13.FieldARPTHA:    {of13.FieldEthType, []uint64{0x0806}},
		of13.FieldMPLSLabel: {of13.FieldEthType, []uint64{0x8847, 0x8848}}, of13.FieldMPLSTC: {of13.FieldEthType, []uint64{0x8847, 0x8848}},
		of13.FieldMPLSBoS: {of13.FieldEthType, []uint64{0x8847, 0x8848}},
		of13.FieldPBBISID: {of13.FieldEthType, []uint64{0x88e7}},
	}
)

// checkPrereqs rejects a rule whose match a switch would refuse with
// OFPBMC_BAD_PREREQ (Faucet accepts such rules and the switch then
// rejects the flow); the error says what to add.
func checkPrereqs(m of13.Match) error {
	for _, mf := range m {
		for f := mf.Field; ; {
			pr, ok := prereqs[f]
			if !ok {
				break
			}
			have, ok := m.Get(pr.field)
			if !ok || have.Masked || !slices.Contains(pr.values, have.Uint()) {
				vals := make([]string, len(pr.values))
				for i, v := range pr.values {
					vals[i] = fmt.Sprintf("%#x", v)
					if pr.field != of13.FieldEthType {
						vals[i] = fmt.Sprint(v)
					}
				}
				return fmt.Errorf("matching %s needs %s %s in the same rule (OpenFlow prerequisite)",
					oxmName(mf.Field), oxmName(pr.field), strings.Join(vals, " or "))
			}
			f = pr.field
		}
	}
	return nil
}

// oxmName is the Faucet (OXM) name of a field, for messages.
func oxmName(f of13.Field) string {
	for n, x := range oxmFields {
		if x == f {
			return n
		}
	}
	return f.Name()
}
