package config

import (
	"sort"
	"strconv"
)

// resolveACLs resolves every ACL use on the DP: VLAN ACLs, port ACLs,
// 802.1x ACLs, dp_acls and (as Faucet does) every tunnel ACL.
func (s *dpState) resolveACLs() {
	for _, vc := range s.v.vlans {
		vl := s.vlans[vc]
		if vl == nil {
			continue
		}
		vl.ACLsIn = s.aclList(vc.aclsIn, vlanPath(vc.key)+".acls_in", true)
		vl.ACLsOut = s.aclList(vc.aclsOut, vlanPath(vc.key)+".acls_out", true)
	}
	for _, pc := range s.dc.ports {
		p := pc.port
		if len(pc.acls) > 0 {
			if len(s.dc.dpACLs) > 0 {
				s.v.e.add(pc.o.keyPos("acls_in"), "dataplane ACLs (dp_acls) cannot be used with port ACLs")
			}
			p.ACLsIn = s.aclList(pc.acls, pc.path+".acls_in", false)
		}
		if p.Dot1xDynACL {
			for _, ac := range s.v.doc.acls {
				if ac.acl.Dot1xAssigned {
					s.resolveACL(ac.key.text(), nil, "", false)
				}
			}
		}
		if p.Dot1xACL && s.dp.Dot1x != nil {
			for _, name := range []string{s.dp.Dot1x.AuthACL, s.dp.Dot1x.NoAuthACL} {
				if _, ok := s.v.aclByName[name]; ok {
					s.resolveACL(name, nil, "", false)
				}
			}
		}
	}
	if len(s.dc.dpACLs) > 0 {
		s.dp.DPACLs = s.aclList(s.dc.dpACLs, s.dc.path+".dp_acls", false)
	}
	for _, ac := range s.v.doc.acls {
		if ac.tunnel {
			s.resolveACL(ac.key.text(), nil, "", false)
		}
	}
}

// aclList resolves a list of ACL names and checks exact_match agrees.
func (s *dpState) aclList(refs []*node, path string, vlanACL bool) []*ACL {
	var out []*ACL
	for i, ref := range refs {
		name := ref.text()
		a := s.resolveACL(name, ref, index(path, i), vlanACL)
		if a != nil {
			out = append(out, a)
		}
	}
	for _, a := range out[min(1, len(out)):] {
		if a.ExactMatch != out[0].ExactMatch {
			s.v.e.add(refs[0].pos(path), "ACLs when used together must have consistent exact_match")
			break
		}
	}
	return out
}

// resolveACL returns this DP's copy of an ACL with port references
// resolved, reporting problems once.
func (s *dpState) resolveACL(name string, ref *node, path string, vlanACL bool) *ACL {
	ac, ok := s.v.aclByName[name]
	if !ok {
		if ref != nil {
			s.v.e.add(ref.pos(path), "unknown ACL %s (missing ACL %s in DP: %s)", quote(name), name, s.dp.Name)
		}
		return nil
	}
	if vlanACL && ac.tunnel {
		s.v.e.add(ref.pos(path), "tunnels do not support VLAN-ACLs: ACL %s has a tunnel output", quote(name))
		return nil
	}
	if a, done := s.acls[name]; done {
		return a
	}
	if s.aclFailed[name] {
		return nil
	}
	if !s.v.builtACLs[name] {
		s.v.builtACLs[name] = true
		s.v.e.errs = append(s.v.e.errs, ac.buildErrs...)
	}
	cp := &ACL{Name: ac.acl.Name, ExactMatch: ac.acl.ExactMatch, Dot1xAssigned: ac.acl.Dot1xAssigned, Pos: ac.acl.Pos}
	failed := false
	for _, rc := range ac.rules {
		r := *rc.rule
		r.Match = append([]MatchField(nil), rc.rule.Match...)
		a := &r.Actions
		ap := rc.path + ".actions"
		if a.Mirror != nil {
			mref := rc.n.get("actions").get("mirror")
			port := s.resolvePort(mref)
			if port == nil {
				s.v.e.add(mref.pos(ap+".mirror"), "ACL %s mirror port %s is not defined in DP %s", name, quote(a.Mirror.Ref), s.dp.Name)
				failed = true
			} else {
				a.Mirror = &PortRef{Ref: a.Mirror.Ref, Number: port.Number}
				port.OutputOnly = true
			}
		}
		if a.Meter != "" {
			if _, ok := s.v.meterBy[a.Meter]; !ok {
				s.v.e.add(rc.n.get("actions").get("meter").pos(ap+".meter"), "meter %s is not configured", quote(a.Meter))
				failed = true
			} else {
				s.meters[a.Meter] = true
			}
		}
		if a.Output != nil {
			out, ok := s.resolveOutput(name, rc, a.Output, ap+".output")
			a.Output = out
			failed = failed || !ok
		}
		cp.Rules = append(cp.Rules, &r)
	}
	if failed {
		s.aclFailed[name] = true
		return nil
	}
	s.acls[name] = cp
	return cp
}

func (s *dpState) resolveOutput(acl string, rc *ruleConf, o *Output, path string) (*Output, bool) {
	raw := rc.output
	ok := true
	if raw.kind == kMap {
		if raw.has("vlan_vid") && raw.has("vlan_vids") {
			s.v.e.add(raw.pos(path), "ACL %s has both vlan_vid and vlan_vids defined", acl)
			ok = false
		}
		if raw.has("port") && raw.has("ports") {
			s.v.e.add(raw.pos(path), "ACL %s has both port and ports defined", acl)
			ok = false
		}
	}
	out := &Output{Ordered: o.Ordered}
	for i, st := range o.Steps {
		n, sp := rc.stepRaw[i], rc.stepPath[i]
		switch st.Kind {
		case OutPort:
			port := s.resolvePort(n)
			if port == nil {
				s.v.e.add(n.pos(sp), "ACL (%s) output port %s undefined in DP %s", acl, quote(st.Port.Ref), s.dp.Name)
				ok = false
				continue
			}
			st.Port = &PortRef{Ref: st.Port.Ref, Number: port.Number}
		case OutPorts:
			st.Ports = s.resolvePortList(acl, n, sp, st.Ports, &ok)
		case OutFailover:
			fo := *st.Failover
			fo.Ports = s.resolvePortList(acl, n.get("ports"), sp+".ports", fo.Ports, &ok)
			st.Failover = &fo
		case OutTunnel:
			t, tok := s.resolveTunnel(acl, n, sp, st.Tunnel)
			if !tok {
				ok = false
				continue
			}
			st.Tunnel = t
		}
		out.Steps = append(out.Steps, st)
	}
	return out, ok
}

func (s *dpState) resolvePortList(acl string, n *node, path string, refs []PortRef, ok *bool) []PortRef {
	var out []PortRef
	if n == nil || n.kind != kSeq {
		return nil
	}
	for i, item := range n.seq {
		if i >= len(refs) {
			break
		}
		port := s.resolvePort(item)
		if port == nil {
			s.v.e.add(item.pos(index(path, i)), "ACL (%s) output port(s) not defined in DP %s: %s", acl, s.dp.Name, quote(item.text()))
			*ok = false
			continue
		}
		out = append(out, PortRef{Ref: refs[i].Ref, Number: port.Number})
	}
	return out
}

func (s *dpState) resolveTunnel(acl string, n *node, path string, t *Tunnel) (*Tunnel, bool) {
	cp := *t
	if t.DP == "" {
		s.v.e.add(n.pos(path), "ACL (%s) tunnel DP not defined", acl)
		return nil, false
	}
	if t.Reverse && t.BiDirectional {
		s.v.e.add(n.pos(path), "tunnel ACL %s cannot set both bi_directional and reverse", acl)
		return nil, false
	}
	dst, ok := s.v.dpByName[t.DP]
	if !ok {
		s.v.e.add(n.get("dp").pos(path+".dp"), "could not find referenced destination DP (%s) for tunnel ACL %s", t.DP, acl)
		return nil, false
	}
	if t.Port != nil {
		var found *Port
		pref := n.get("port")
		for _, pc := range dst.ports {
			if portMatches(pc.port, pref) {
				found = pc.port
				break
			}
		}
		if found == nil {
			s.v.e.add(pref.pos(path+".port"), "could not find referenced destination port (%s) for tunnel ACL %s", t.Port.Ref, acl)
			return nil, false
		}
		cp.Port = &PortRef{Ref: t.Port.Ref, Number: found.Number}
	}
	idNode := n.get("tunnel_id")
	if idNode.isNull() {
		cp.VID = s.dynamicTunnelVID(acl)
		return &cp, true
	}
	vc := s.v.lookupVLAN(idNode)
	if vc != nil && s.vlans[vc] != nil {
		if !vc.vlan.ReservedInternalVLAN {
			s.v.e.add(idNode.pos(path+".tunnel_id"), "VLAN %s is required for use by tunnel %s but is not reserved (set reserved_internal_vlan: true)", vc.vlan.Name, idNode.text())
			return nil, false
		}
		cp.VID = vc.vlan.VID
		return &cp, true
	}
	if idNode.kind == kStr {
		s.v.e.add(idNode.pos(path+".tunnel_id"), "tunnel VLAN (%s) does not exist", idNode.s)
		return nil, false
	}
	i, ok := idNode.intVal()
	if !ok || i < 1 || i > 4095 {
		s.v.e.add(idNode.pos(path+".tunnel_id"), "invalid VID %s for tunnel_id", idNode.text())
		return nil, false
	}
	cp.VID = uint16(i)
	s.addTunnelVLAN(cp.VID)
	return &cp, true
}

// dynamicTunnelVID allocates a tunnel VLAN the way Faucet does: after the
// highest configured VID, offset by the tunnels of ACLs sorted by name.
func (s *dpState) dynamicTunnelVID(acl string) uint16 {
	if vid, ok := s.tunnelVIDs[acl]; ok {
		return vid
	}
	maxVID := 0
	for _, vl := range s.dp.VLANs {
		if !vl.ReservedInternalVLAN && int(vl.VID) > maxVID {
			maxVID = int(vl.VID)
		}
	}
	names := make([]string, 0, len(s.v.aclByName))
	for n := range s.v.aclByName {
		names = append(names, n)
	}
	sort.Strings(names)
	offset := 0
	for _, n := range names {
		for _, r := range s.v.aclByName[n].acl.Rules {
			if r.Actions.Output != nil {
				for _, st := range r.Actions.Output.Steps {
					if st.Kind == OutTunnel {
						offset++
					}
				}
			}
		}
		if n == acl {
			break
		}
	}
	vid := maxVID + offset
	for s.dp.vlanByVID[uint16(vid)] != nil {
		vid++
	}
	if vid > 4095 {
		return 0
	}
	s.tunnelVIDs[acl] = uint16(vid)
	s.addTunnelVLAN(uint16(vid))
	return uint16(vid)
}

func (s *dpState) addTunnelVLAN(vid uint16) {
	if vid == 0 || s.dp.vlanByVID[vid] != nil {
		return
	}
	name := strconv.Itoa(int(vid))
	vl := &VLAN{
		Name: name, VID: vid, Description: name, FaucetMAC: defaultFaucetMAC(), UnicastFlood: true,
		MaxHosts: 256, ProactiveARPLimit: 512, ProactiveNDLimit: 512, TargetedGWResolution: true,
		MinimumIPSizeCheck: true, EdgeLearnStackRoot: true, ReservedInternalVLAN: true, Implicit: true,
	}
	s.dp.VLANs = append(s.dp.VLANs, vl)
	s.dp.vlanByVID[vid] = vl
}
