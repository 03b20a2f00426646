package oftable

import (
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// prereq is a match field's prerequisite (OpenFlow 1.3 §7.2.3.6, table 12):
// another field that must be matched exactly with one of values.
type prereq struct {
	field  of13.Field
	values []uint64
}

var (
	ipTypes  = []uint64{uint64(EthTypeIPv4), uint64(EthTypeIPv6)}
	ipv4Type = []uint64{uint64(EthTypeIPv4)}
	ipv6Type = []uint64{uint64(EthTypeIPv6)}
	arpType  = []uint64{uint64(EthTypeARP)}
)

// prereqOf returns f's direct prerequisite. Checking every field's direct
// prerequisite checks the chains (tcp_src needs ip_proto, which needs
// eth_type) too. vlan_pcp's prerequisite, "VLAN_VID != NONE", is special
// and handled by the callers.
func prereqOf(f of13.Field) (prereq, bool) {
	switch f {
	case of13.FieldInPhyPort:
		return prereq{field: of13.FieldInPort}, true
	case of13.FieldIPDSCP, of13.FieldIPECN, of13.FieldIPProto:
		return prereq{of13.FieldEthType, ipTypes}, true
	case of13.FieldIPv4Src, of13.FieldIPv4Dst:
		return prereq{of13.FieldEthType, ipv4Type}, true
	case of13.FieldIPv6Src, of13.FieldIPv6Dst, of13.FieldIPv6FLabel, of13.FieldIPv6ExtHdr:
		return prereq{of13.FieldEthType, ipv6Type}, true
	case of13.FieldARPOp, of13.FieldARPSPA, of13.FieldARPTPA, of13.FieldARPSHA, of13.FieldARPTHA:
		return prereq{of13.FieldEthType, arpType}, true
	case of13.FieldTCPSrc, of13.FieldTCPDst:
		return prereq{of13.FieldIPProto, []uint64{uint64(ProtoTCP)}}, true
	case of13.FieldUDPSrc, of13.FieldUDPDst:
		return prereq{of13.FieldIPProto, []uint64{uint64(ProtoUDP)}}, true
	case of13.FieldSCTPSrc, of13.FieldSCTPDst:
		return prereq{of13.FieldIPProto, []uint64{uint64(ProtoSCTP)}}, true
	case of13.FieldICMPv4Type, of13.FieldICMPv4Code:
		return prereq{of13.FieldIPProto, []uint64{uint64(ProtoICMP)}}, true
	case of13.FieldICMPv6Type, of13.FieldICMPv6Code:
		return prereq{of13.FieldIPProto, []uint64{uint64(ProtoICMPv6)}}, true
	case of13.FieldIPv6NDTarget:
		return prereq{of13.FieldICMPv6Type, []uint64{135, 136}}, true
	case of13.FieldIPv6NDSLL:
		return prereq{of13.FieldICMPv6Type, []uint64{135}}, true
	case of13.FieldIPv6NDTLL:
		return prereq{of13.FieldICMPv6Type, []uint64{136}}, true
	case of13.FieldMPLSLabel, of13.FieldMPLSTC, of13.FieldMPLSBoS:
		return prereq{of13.FieldEthType, []uint64{0x8847, 0x8848}}, true
	case of13.FieldPBBISID:
		return prereq{of13.FieldEthType, []uint64{0x88e7}}, true
	}
	return prereq{}, false
}

// satisfied reports whether m meets f's prerequisite.
func satisfied(m of13.Match, f of13.Field) bool {
	if f == of13.FieldVlanPCP {
		v, ok := m.Get(of13.FieldVlanVID)
		return ok && v.Uint()&of13.OXMVlanPresent != 0
	}
	p, ok := prereqOf(f)
	if !ok {
		return true
	}
	v, ok := m.Get(p.field)
	if !ok || v.Masked {
		return false
	}
	if p.values == nil {
		return true
	}
	for _, want := range p.values {
		if v.Uint() == want {
			return true
		}
	}
	return false
}

// checkMatch validates m and returns it in canonical form.
func (t *Table) checkMatch(m of13.Match) (of13.Match, error) {
	seen := uint64(0)
	for _, f := range m {
		if int(f.Field) >= numFields {
			return nil, ErrBadMatchField.with(fmt.Sprintf("unknown field %d", f.Field))
		}
		if seen&(1<<f.Field) != 0 {
			return nil, ErrDupField.with(f.Field.Name() + " appears twice")
		}
		seen |= 1 << f.Field
	}
	c := of13.NewMatch(m...)
	for _, f := range c {
		if !satisfied(c, f.Field) {
			return nil, ErrBadPrereq.with(f.String() + " without its prerequisite")
		}
		if f.Field == of13.FieldVlanVID && !f.Masked {
			if v := f.Uint(); v&of13.OXMVlanPresent == 0 && v != 0 {
				return nil, ErrBadMatchValue.with(f.String() + " lacks OFPVID_PRESENT")
			}
		}
	}
	return c, nil
}

// checkInstructions validates f's instructions as Open vSwitch does when it
// installs a flow.
func (t *Table) checkInstructions(f *of13.Flow) error {
	in := &f.Instr
	if in.HasGoto {
		if in.GotoTable <= f.Table {
			return ErrGotoBadTable.with(fmt.Sprintf("goto_table:%d from table %d does not go forward", in.GotoTable, f.Table))
		}
		if int(in.GotoTable) >= len(t.tables) {
			return ErrGotoBadTable.with(fmt.Sprintf("goto_table:%d does not exist", in.GotoTable))
		}
	}
	if in.Meter != 0 {
		if _, ok := t.meters[in.Meter]; !ok {
			return ErrInvalidMeter.with(fmt.Sprintf("meter %d does not exist", in.Meter))
		}
	}
	if err := t.checkActions(in.Apply, f.Match, true); err != nil {
		return fmt.Errorf("apply_actions: %w", err)
	}
	if err := t.checkActions(in.Write, f.Match, true); err != nil {
		return fmt.Errorf("write_actions: %w", err)
	}
	return nil
}

// checkActions validates an action list. With prereqs, set-fields must be
// consistent with m (a bucket's actions are not tied to one match).
func (t *Table) checkActions(as []of13.Action, m of13.Match, prereqs bool) error {
	pushed := false
	for _, a := range as {
		switch a.Type {
		case of13.ActionOutput:
			if !validOutPort(a.Port) {
				return ErrBadOutPort.with(a.String())
			}
		case of13.ActionGroup:
			if _, ok := t.groups[a.Arg]; !ok {
				return ErrBadOutGroup.with(fmt.Sprintf("group %d does not exist", a.Arg))
			}
		case of13.ActionPushVLAN:
			if a.EtherType != EthTypeVLAN && a.EtherType != EthTypeQinQ {
				return ErrBadArgument.with(a.String())
			}
			pushed = true
		case of13.ActionSetField:
			f := a.Set.Field
			if int(f) >= numFields {
				return ErrBadSetType.with(a.String())
			}
			if !prereqs {
				continue
			}
			switch f {
			case of13.FieldVlanVID, of13.FieldVlanPCP:
				// Lenient: only a flow that matches untagged frames and
				// pushes no tag first is inconsistent.
				if v, ok := m.Get(of13.FieldVlanVID); ok && !v.Masked && v.Uint() == 0 && !pushed {
					return ErrMatchInconsistent.with(a.String() + " on untagged frames")
				}
			default:
				if !satisfied(m, f) {
					return ErrMatchInconsistent.with(a.String() + ": match lacks the field's prerequisite")
				}
			}
		case of13.ActionCopyTTLOut, of13.ActionCopyTTLIn, of13.ActionSetMPLSTTL, of13.ActionDecMPLSTTL,
			of13.ActionPopVLAN, of13.ActionPushMPLS, of13.ActionPopMPLS, of13.ActionSetQueue,
			of13.ActionSetNwTTL, of13.ActionDecNwTTL, of13.ActionPushPBB, of13.ActionPopPBB:
		default:
			return ErrBadActionType.with(a.String())
		}
	}
	return nil
}

// validOutPort reports whether p may be an output action's port in a flow.
func validOutPort(p uint32) bool {
	switch {
	case p == 0:
		return false
	case p <= of13.PortMax:
		return true
	}
	switch p {
	case of13.PortInPort, of13.PortNormal, of13.PortFlood, of13.PortAll, of13.PortController, of13.PortLocal:
		return true
	}
	return false
}
