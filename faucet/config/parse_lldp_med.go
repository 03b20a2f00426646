package config

import "slices"

var lldpMEDSchema = schema{"priority": tInt, "dscp": tInt, "ports": tDict}

// lldpMED validates `voip.lldp_med`, a mapping from voice VLAN (name or
// VID) to its policy, and sets each covered port's LLDPMED. A port may
// advertise one voice policy only (TIA-1057 allows one network policy per
// application type), so two entries covering one port are an error.
func (v *validator) lldpMED(n *node, voiceDSCP uint8) []*LLDPMED {
	const path = "voip.lldp_med"
	if n.kind != kMap {
		v.e.add(n.pos(path), "lldp_med must be a mapping from voice VLAN to policy, not %s", describe(n))
		return nil
	}
	var out []*LLDPMED
	owner := map[*Port]string{}
	for i, k := range n.keys {
		kp := path + "." + k.text()
		var vc *vlanConf
		if k.scalarKey() {
			vc = v.lookupVLAN(k)
		}
		if vc == nil || !vc.valid {
			v.e.add(k.pos(kp), "unknown VLAN %s", quote(k.text()))
			continue
		}
		body := n.vals[i]
		if body.isNull() {
			body = &node{kind: kMap}
		}
		o := checkObj(v.e, body, kp, "lldp_med", lldpMEDSchema)
		m := &LLDPMED{
			VLAN: vc.vlan.Name, VID: vc.vlan.VID, Pos: k.pos(kp),
			Priority: uint8(intRange(v.e, o, "priority", 5, 0, 7, "priority must be an 802.1p priority, 0-7")),
			DSCP:     uint8(intRange(v.e, o, "dscp", int(voiceDSCP), 0, 63, "dscp must be 0-63")),
		}
		if ports := o.get("ports"); ports != nil {
			m.Ports = v.lldpMEDPorts(ports, kp+".ports", m.VID)
		}
		out = append(out, m)
		for _, dp := range v.cfg.DPs {
			for _, p := range dp.Ports {
				pol, ok := m.policy(dp.Name, p)
				if !ok {
					continue
				}
				if prev, dup := owner[p]; dup {
					v.e.add(m.Pos, "port %d on DP %s would advertise two voice VLANs (%s and %s): list its ports under one of them",
						p.Number, dp.Name, prev, m.VLAN)
					continue
				}
				owner[p] = m.VLAN
				p.LLDPMED = pol
			}
		}
	}
	slices.SortFunc(out, func(a, b *LLDPMED) int { return int(a.VID) - int(b.VID) })
	return out
}

// lldpMEDPorts resolves a ports mapping (DP name to a list of port names or
// numbers); every listed port must carry the voice VLAN.
func (v *validator) lldpMEDPorts(ports *node, path string, vid uint16) map[string][]uint32 {
	out := map[string][]uint32{}
	if ports.kind != kMap {
		return out
	}
	for i, k := range ports.keys {
		kp := path + "." + k.text()
		dp := v.cfg.DP(k.text())
		if dp == nil {
			v.e.add(k.pos(kp), "unknown DP %s", quote(k.text()))
			continue
		}
		list := ports.vals[i]
		if list.kind != kSeq {
			v.e.add(list.pos(kp), "must be a list of ports, not %s", describe(list))
			continue
		}
		out[dp.Name] = []uint32{}
		for j, ref := range list.seq {
			p := resolvePortIn(dp, ref)
			switch {
			case p == nil:
				v.e.add(ref.pos(index(kp, j)), "unknown port %s on DP %s", quote(ref.text()), dp.Name)
			case !carries(p, vid):
				v.e.add(ref.pos(index(kp, j)), "port %s on DP %s does not carry VLAN %d (neither native_vlan nor tagged_vlans)",
					quote(ref.text()), dp.Name, vid)
			default:
				out[dp.Name] = append(out[dp.Name], p.Number)
			}
		}
	}
	return out
}

// carries reports whether p carries VLAN vid, natively or tagged.
func carries(p *Port, vid uint16) bool {
	return slices.ContainsFunc(p.VLANs(), func(vl *VLAN) bool { return vl.VID == vid })
}

// policy returns what port p of DP dp advertises under m, if m covers it.
func (m *LLDPMED) policy(dp string, p *Port) (*PortLLDPMED, bool) {
	if !carries(p, m.VID) || !p.Enabled {
		return nil, false
	}
	if m.Ports != nil && !slices.Contains(m.Ports[dp], p.Number) {
		return nil, false
	}
	tagged := p.NativeVLAN == nil || p.NativeVLAN.VID != m.VID
	return &PortLLDPMED{VID: m.VID, Tagged: tagged, Priority: m.Priority, DSCP: m.DSCP}, true
}
