package of13

import (
	"net/netip"
	"strconv"
	"strings"
)

// The String methods render values in ovs-ofctl's add-flow syntax, so the
// output of `voipsdn flows` can be reviewed beside `ovs-ofctl dump-flows` or
// fed to `ovs-ofctl add-flows`.

// String renders the flow as an ovs-ofctl flow specification.
func (f *Flow) String() string {
	var b strings.Builder
	b.WriteString("table=")
	b.WriteString(strconv.Itoa(int(f.Table)))
	b.WriteString(",priority=")
	b.WriteString(strconv.Itoa(int(f.Priority)))
	if f.Cookie != 0 {
		b.WriteString(",cookie=0x")
		b.WriteString(strconv.FormatUint(f.Cookie, 16))
	}
	if f.IdleTimeout != 0 {
		b.WriteString(",idle_timeout=")
		b.WriteString(strconv.Itoa(int(f.IdleTimeout)))
	}
	if f.HardTimeout != 0 {
		b.WriteString(",hard_timeout=")
		b.WriteString(strconv.Itoa(int(f.HardTimeout)))
	}
	if f.Flags&FlagSendFlowRem != 0 {
		b.WriteString(",send_flow_rem")
	}
	if len(f.Match) > 0 {
		b.WriteByte(',')
		b.WriteString(f.Match.String())
	}
	b.WriteString(",actions=")
	b.WriteString(f.Instr.String())
	return b.String()
}

// String renders the match as comma-separated ovs-ofctl fields.
func (m Match) String() string {
	parts := make([]string, 0, len(m))
	for _, f := range m {
		parts = append(parts, f.Field.Name()+"="+f.valueString())
	}
	return strings.Join(parts, ",")
}

// String renders the field as name=value[/mask].
func (f MatchField) String() string { return f.Field.Name() + "=" + f.valueString() }

func (f MatchField) valueString() string {
	switch f.Field {
	case FieldEthDst, FieldEthSrc, FieldARPSHA, FieldARPTHA, FieldIPv6NDSLL, FieldIPv6NDTLL:
		s := f.MAC().String()
		if f.Masked {
			s += "/" + macString(f.Mask[:6])
		}
		return s
	case FieldIPv4Src, FieldIPv4Dst, FieldARPSPA, FieldARPTPA, FieldIPv6Src, FieldIPv6Dst, FieldIPv6NDTarget:
		s := f.Addr().String()
		if f.Masked {
			var mask netip.Addr
			if f.Field.Size() == 4 {
				mask = netip.AddrFrom4([4]byte(f.Mask[:4]))
			} else {
				mask = netip.AddrFrom16(f.Mask)
			}
			if bits, ok := prefixLen(f.Mask[:f.Field.Size()]); ok {
				return s + "/" + strconv.Itoa(bits)
			}
			return s + "/" + mask.String()
		}
		return s
	case FieldEthType, FieldVlanVID, FieldMetadata, FieldTunnelID, FieldIPv6FLabel:
		s := "0x" + strconv.FormatUint(f.Uint(), 16)
		if f.Masked {
			s += "/0x" + strconv.FormatUint(f.MaskUint(), 16)
		}
		return s
	}
	s := strconv.FormatUint(f.Uint(), 10)
	if f.Masked {
		s += "/0x" + strconv.FormatUint(f.MaskUint(), 16)
	}
	return s
}

func macString(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 17)
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}

// prefixLen returns the prefix length of a contiguous mask.
func prefixLen(mask []byte) (int, bool) {
	bits, done := 0, false
	for _, c := range mask {
		for i := 7; i >= 0; i-- {
			set := c&(1<<i) != 0
			switch {
			case set && done:
				return 0, false
			case set:
				bits++
			default:
				done = true
			}
		}
	}
	return bits, true
}

// String renders the instructions as the value of ovs-ofctl's actions=.
func (i Instructions) String() string {
	var parts []string
	if i.Meter != 0 {
		parts = append(parts, "meter:"+strconv.FormatUint(uint64(i.Meter), 10))
	}
	for _, a := range i.Apply {
		parts = append(parts, a.String())
	}
	if i.ClearActions {
		parts = append(parts, "clear_actions")
	}
	if len(i.Write) > 0 {
		ws := make([]string, len(i.Write))
		for j, a := range i.Write {
			ws[j] = a.String()
		}
		parts = append(parts, "write_actions("+strings.Join(ws, ",")+")")
	}
	if i.MetadataMask != 0 {
		parts = append(parts, "write_metadata:0x"+strconv.FormatUint(i.Metadata, 16)+"/0x"+strconv.FormatUint(i.MetadataMask, 16))
	}
	if i.HasGoto {
		parts = append(parts, "goto_table:"+strconv.Itoa(int(i.GotoTable)))
	}
	if len(parts) == 0 {
		return "drop"
	}
	return strings.Join(parts, ",")
}

// String renders the action in ovs-ofctl syntax.
func (a Action) String() string {
	switch a.Type {
	case ActionOutput:
		if a.Port == PortController {
			// ovs-ofctl spells this controller:MAX_LEN, not output:...
			return "controller:" + strconv.Itoa(int(a.MaxLen))
		}
		return "output:" + portString(a.Port, a.MaxLen)
	case ActionPushVLAN:
		return "push_vlan:0x" + strconv.FormatUint(uint64(a.EtherType), 16)
	case ActionPopVLAN:
		return "pop_vlan"
	case ActionSetField:
		return "set_field:" + a.Set.valueString() + "->" + setFieldName(a.Set.Field)
	case ActionSetQueue:
		return "set_queue:" + strconv.FormatUint(uint64(a.Arg), 10)
	case ActionGroup:
		return "group:" + strconv.FormatUint(uint64(a.Arg), 10)
	case ActionDecNwTTL:
		return "dec_ttl"
	case ActionSetNwTTL:
		return "mod_nw_ttl:" + strconv.FormatUint(uint64(a.Arg), 10)
	case ActionCopyTTLOut:
		return "copy_ttl_out"
	case ActionCopyTTLIn:
		return "copy_ttl_in"
	case ActionPushMPLS:
		return "push_mpls:0x" + strconv.FormatUint(uint64(a.EtherType), 16)
	case ActionPopMPLS:
		return "pop_mpls:0x" + strconv.FormatUint(uint64(a.EtherType), 16)
	case ActionDecMPLSTTL:
		return "dec_mpls_ttl"
	case ActionSetMPLSTTL:
		return "set_mpls_ttl:" + strconv.FormatUint(uint64(a.Arg), 10)
	case ActionPushPBB:
		return "push_pbb:0x" + strconv.FormatUint(uint64(a.EtherType), 16)
	case ActionPopPBB:
		return "pop_pbb"
	}
	return "action" + strconv.Itoa(int(a.Type))
}

// setFieldName is the name ovs-ofctl's set_field wants: the OXM names
// rather than the legacy dl_/nw_ aliases used in matches.
func setFieldName(f Field) string {
	switch f {
	case FieldEthDst:
		return "eth_dst"
	case FieldEthSrc:
		return "eth_src"
	case FieldEthType:
		return "eth_type"
	case FieldIPv4Src:
		return "ipv4_src"
	case FieldIPv4Dst:
		return "ipv4_dst"
	case FieldIPProto:
		return "ip_proto"
	}
	return f.Name()
}

func portString(p uint32, maxLen uint16) string {
	switch p {
	case PortInPort:
		return "in_port"
	case PortTable:
		return "table"
	case PortNormal:
		return "normal"
	case PortFlood:
		return "flood"
	case PortAll:
		return "all"
	case PortController:
		return "controller:" + strconv.Itoa(int(maxLen))
	case PortLocal:
		return "local"
	}
	return strconv.FormatUint(uint64(p), 10)
}

// String renders the meter as an ovs-ofctl meter specification.
func (m *Meter) String() string {
	var b strings.Builder
	b.WriteString("meter=")
	b.WriteString(strconv.FormatUint(uint64(m.ID), 10))
	for _, fl := range []struct {
		bit  uint16
		name string
	}{{MeterKbps, "kbps"}, {MeterPktps, "pktps"}, {MeterBurst, "burst"}, {MeterStats, "stats"}} {
		if m.Flags&fl.bit != 0 {
			b.WriteString(",")
			b.WriteString(fl.name)
		}
	}
	b.WriteString(",bands=")
	for i, band := range m.Bands {
		if i > 0 {
			b.WriteString(",")
		}
		switch band.Type {
		case BandDrop:
			b.WriteString("type=drop")
		case BandDSCPRemark:
			b.WriteString("type=dscp_remark,prec_level=" + strconv.Itoa(int(band.PrecLevel)))
		default:
			b.WriteString("type=" + strconv.Itoa(int(band.Type)))
		}
		b.WriteString(",rate=" + strconv.FormatUint(uint64(band.Rate), 10))
		if band.BurstSize != 0 {
			b.WriteString(",burst_size=" + strconv.FormatUint(uint64(band.BurstSize), 10))
		}
	}
	return b.String()
}

// String renders the group as an ovs-ofctl group specification.
func (g *Group) String() string {
	var b strings.Builder
	b.WriteString("group_id=")
	b.WriteString(strconv.FormatUint(uint64(g.ID), 10))
	b.WriteString(",type=")
	b.WriteString([...]string{"all", "select", "indirect", "ff"}[g.Type&3])
	for _, bk := range g.Buckets {
		b.WriteString(",bucket=")
		var parts []string
		if g.Type == GroupTypeSelect {
			parts = append(parts, "weight:"+strconv.Itoa(int(bk.Weight)))
		}
		if g.Type == GroupTypeFF {
			parts = append(parts, "watch_port:"+strconv.FormatUint(uint64(bk.WatchPort), 10))
		}
		for _, a := range bk.Actions {
			parts = append(parts, a.String())
		}
		b.WriteString(strings.Join(parts, ","))
	}
	return b.String()
}
