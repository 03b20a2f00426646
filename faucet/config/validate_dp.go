package config

import (
	"slices"
	"sort"
)

// dpState is the per-DP resolution state.
type dpState struct {
	v     *validator
	dc    *dpConf
	dp    *DP
	vlans map[*vlanConf]*VLAN // per-DP VLAN copies
	// resolved ACL copies on this DP
	acls      map[string]*ACL
	aclFailed map[string]bool
	meters    map[string]bool
	// tunnel VLANs created on this DP
	tunnelVIDs map[string]uint16
}

func (v *validator) resolveDP(dc *dpConf) *DP {
	dp := dc.dp
	s := &dpState{
		v: v, dc: dc, dp: dp,
		vlans:      map[*vlanConf]*VLAN{},
		acls:       map[string]*ACL{},
		aclFailed:  map[string]bool{},
		meters:     map[string]bool{},
		tunnelVIDs: map[string]uint16{},
	}
	dp.portByNum = map[uint32]*Port{}
	dp.portByName = map[string]*Port{}
	dp.vlanByVID = map[uint16]*VLAN{}
	dp.aclByName = map[string]*ACL{}

	// Every VLAN exists on every DP, as in Faucet.
	for _, vc := range v.vlans {
		if !vc.valid {
			continue
		}
		cp := *vc.vlan
		cp.Tagged, cp.Untagged = nil, nil
		s.vlans[vc] = &cp
		dp.VLANs = append(dp.VLANs, &cp)
		dp.vlanByVID[cp.VID] = &cp
	}
	for _, pc := range dc.ports {
		p := pc.port
		if _, dup := dp.portByNum[p.Number]; dup {
			continue
		}
		dp.Ports = append(dp.Ports, p)
		dp.portByNum[p.Number] = p
		if _, ok := dp.portByName[p.Name]; !ok {
			dp.portByName[p.Name] = p
		}
	}
	for _, pc := range dc.ports {
		s.resolvePortVLANs(pc)
		if p := pc.port; p.LACP != 0 && p.LACPOptions.PortID == -1 {
			p.LACPOptions.PortID = dc.index*100 + int(p.Number)
		}
	}
	// A port naming a VLAN already got an error if the VLAN is bad, so
	// only a DP whose ports name no VLAN at all is reported here.
	nonVLAN := false
	for _, pc := range dc.ports {
		p := pc.port
		if p.OutputOnly || p.Stack != nil || p.Coprocessor != nil || pc.native != nil || len(pc.tagged) > 0 {
			nonVLAN = true
		}
	}
	if len(dp.VLANs) == 0 && !nonVLAN {
		v.e.add(dp.Pos, "no VLANs referenced by interfaces in %s", dp.Name)
	}
	s.resolveStackPorts()
	s.resolveMirrors()
	s.resolveACLs()
	for _, vl := range dp.VLANs {
		if len(vl.ACLsOut) > 0 {
			dp.EgressPipeline = true // egress ACLs need the egress tables, as in Faucet
		}
	}
	s.resolveRouters()
	for _, pc := range dc.ports {
		p := pc.port
		if p.NativeVLAN != nil && slices.Contains(p.TaggedVLANs, p.NativeVLAN) {
			v.e.add(pc.o.keyPos("tagged_vlans"), "cannot have same native and tagged VLAN (%s) on same port", p.NativeVLAN.Name)
		}
	}
	if !slices.Contains(supportedHardware, dp.Hardware) {
		v.e.add(dc.o.keyPos("hardware"), "hardware %s must be one of %v", quote(dp.Hardware), supportedHardware)
	}
	s.checkDot1x()
	hasStackPorts := false
	for _, p := range dp.Ports {
		if p.Stack != nil {
			hasStackPorts = true
		}
	}
	if !hasStackPorts {
		dp.Stack = nil
	} else if dp.LLDPBeacon == nil {
		dp.LLDPBeacon = &DPLLDPBeacon{SendInterval: 5, MaxPerInterval: 5, SystemName: dp.Name}
	}
	for _, vl := range dp.VLANs {
		sort.Slice(vl.Tagged, func(i, j int) bool { return vl.Tagged[i] < vl.Tagged[j] })
		sort.Slice(vl.Untagged, func(i, j int) bool { return vl.Untagged[i] < vl.Untagged[j] })
	}
	sortVLANs(dp.VLANs)
	for name, a := range s.acls {
		dp.aclByName[name] = a
		dp.ACLs = append(dp.ACLs, a)
	}
	sort.Slice(dp.ACLs, func(i, j int) bool { return dp.ACLs[i].Name < dp.ACLs[j].Name })
	for _, m := range v.doc.meters {
		if s.meters[m.Name] {
			dp.Meters = append(dp.Meters, m)
		}
	}
	return dp
}

// vlanRef resolves a port's VLAN reference on this DP.
func (s *dpState) vlanRef(ref *node, path string) *VLAN {
	if !ref.scalarKey() {
		s.v.e.add(ref.pos(path), "VLAN reference must be a name or VID, not a %s", ref.kind)
		return nil
	}
	vc := s.v.lookupVLAN(ref)
	if vc == nil {
		if ref.kind == kStr {
			s.v.e.add(ref.pos(path), "unknown VLAN %s (not in vlans:, and only a bare number creates a VLAN implicitly)", quote(ref.s))
		} else {
			s.v.e.add(ref.pos(path), "invalid VLAN reference %s", ref.text())
		}
		return nil
	}
	return s.vlans[vc] // nil when the VLAN itself is invalid (already reported)
}

func (s *dpState) resolvePortVLANs(pc *portConf) {
	p := pc.port
	if pc.native != nil {
		if vl := s.vlanRef(pc.native, pc.path+".native_vlan"); vl != nil {
			p.NativeVLAN = vl
			vl.Untagged = append(vl.Untagged, p.Number)
		}
	}
	for i, ref := range pc.tagged {
		vl := s.vlanRef(ref, index(pc.path+".tagged_vlans", i))
		if vl == nil || slices.Contains(p.TaggedVLANs, vl) {
			continue
		}
		p.TaggedVLANs = append(p.TaggedVLANs, vl)
		vl.Tagged = append(vl.Tagged, p.Number)
	}
	for i, ref := range pc.passthru {
		if pp := s.resolvePort(ref); pp != nil {
			p.LACPOptions.Passthrough = append(p.LACPOptions.Passthrough, pp.Number)
		} else {
			s.v.e.add(ref.pos(index(pc.path+".lacp_passthrough", i)), "lacp_passthrough port %s not defined in DP %s", ref.text(), s.dp.Name)
		}
	}
}

// resolvePort finds a port by number (int) or by name (string), as
// Faucet's resolve_port does.
func (s *dpState) resolvePort(ref *node) *Port {
	return resolvePortIn(s.dp, ref)
}

func resolvePortIn(dp *DP, ref *node) *Port {
	if ref == nil {
		return nil
	}
	switch ref.kind {
	case kInt, kBool:
		if i, ok := ref.intVal(); ok && i > 0 && i <= 0xffffffff {
			return dp.portByNum[uint32(i)]
		}
	case kStr:
		return dp.portByName[ref.s]
	}
	return nil
}

func (s *dpState) resolveStackPorts() {
	for _, pc := range s.dc.ports {
		p := pc.port
		if p.Stack == nil || pc.stackDP == "" {
			continue
		}
		peer, ok := s.v.dpByName[pc.stackDP]
		if !ok {
			s.v.e.add(pc.o.keyPos("stack"), "stack DP %s not defined", quote(pc.stackDP))
			s.v.stackErr = true
			continue
		}
		if pc.stackPort == nil {
			s.v.stackErr = true
			continue
		}
		var peerPort *Port
		for _, ppc := range peer.ports {
			if portMatches(ppc.port, pc.stackPort) {
				peerPort = ppc.port
				break
			}
		}
		if peerPort == nil {
			s.v.e.add(pc.stackPort.pos(pc.path+".stack.port"), "stack port %s not defined in DP %s", pc.stackPort.text(), peer.dp.Name)
			s.v.stackErr = true
			continue
		}
		p.Stack.Port = peerPort.Number
	}
}

func portMatches(p *Port, ref *node) bool {
	switch ref.kind {
	case kInt, kBool:
		i, ok := ref.intVal()
		return ok && i == int64(p.Number)
	case kStr:
		return ref.s == p.Name
	}
	return false
}

func (s *dpState) resolveMirrors() {
	for _, pc := range s.dc.ports {
		p := pc.port
		if len(pc.mirror) == 0 {
			continue
		}
		for i, ref := range pc.mirror {
			mp := pc.path + ".mirror"
			if len(pc.mirror) > 1 {
				mp = index(mp, i)
			}
			if ref.kind != kStr && !ref.isInt() {
				s.v.e.add(ref.pos(mp), "mirror port must be a port name or number, not %s", describe(ref))
				continue
			}
			src := s.resolvePort(ref)
			if src == nil {
				s.v.e.add(ref.pos(mp), "port mirror not defined in DP %s: no port %s", s.dp.Name, quote(ref.text()))
				continue
			}
			p.Mirror = append(p.Mirror, src.Number)
			src.MirroredTo = append(src.MirroredTo, p.Number)
		}
		if p.Coprocessor == nil {
			p.OutputOnly = true
		}
	}
}

func (s *dpState) checkDot1x() {
	dp := s.dp
	if dp.Dot1x == nil {
		return
	}
	if len(dp.DPACLs) > 0 {
		s.v.e.add(s.dc.o.keyPos("dp_acls"), "DP ACLs and 802.1x cannot be configured together")
	}
	for _, p := range dp.Ports {
		if len(p.ACLsIn) > 0 && p.Dot1x {
			s.v.e.add(p.Pos, "port ACLs and 802.1x cannot be configured together")
		}
		if p.Number == dp.Dot1x.NFVSwPort && !p.OutputOnly {
			s.v.e.add(p.Pos, "NFV port %d must have output_only set to True", p.Number)
		}
	}
}
