package config

import (
	"net/netip"
	"slices"
)

// resolveRouters gives the DP its routers with VLANs resolved, and runs
// Faucet's routing checks (overlapping VIPs, global_vlan, BGP).
func (s *dpState) resolveRouters() {
	dp := s.dp
	for _, rc := range s.v.doc.routers {
		r := &Router{Name: rc.router.Name, VLANNames: rc.router.VLANNames, Pos: rc.router.Pos}
		path := "routers." + rc.key.text()
		for i, ref := range rc.vlans {
			vl := s.routerVLAN(ref, index(path+".vlans", i))
			if vl != nil && !slices.Contains(r.VLANs, vl) {
				r.VLANs = append(r.VLANs, vl)
			}
		}
		if rc.router.BGP != nil {
			b := *rc.router.BGP
			if rc.bgpVLAN != nil {
				b.VLAN = s.routerVLAN(rc.bgpVLAN, path+".bgp.vlan")
			}
			r.BGP = &b
		}
		if len(r.VLANs) > 0 || r.BGP != nil && r.BGP.VLAN != nil {
			dp.Routers = append(dp.Routers, r)
		}
	}
	if dp.GlobalVLAN != 0 && dp.vlanByVID[dp.GlobalVLAN] != nil {
		s.v.e.add(s.dc.o.keyPos("global_vlan"), "global_vlan VID %d conflicts with existing VLAN", dp.GlobalVLAN)
	}
	lone := map[*VLAN]string{}
	for _, r := range dp.Routers {
		if len(r.VLANs) == 1 {
			if other, dup := lone[r.VLANs[0]]; dup {
				s.v.e.add(r.Pos, "single VLAN %s in more than one router (%s and %s)", r.VLANs[0].Name, other, r.Name)
			}
			lone[r.VLANs[0]] = r.Name
		}
		var vips []netip.Prefix
		for _, vl := range r.VLANs {
			for _, vip := range vl.FaucetVIPs {
				if !vip.Addr().IsLinkLocalUnicast() {
					vips = append(vips, vip)
				}
			}
		}
		reported := false
		for i, a := range vips {
			for _, b := range vips[i+1:] {
				if !reported && (b.Masked().Contains(a.Addr()) || a.Masked().Contains(b.Addr())) {
					s.v.e.add(r.Pos, "VIPs %s and %s overlap in router %s", a, b, r.Name)
					reported = true
				}
			}
		}
	}
	s.checkBGP()
}

func (s *dpState) routerVLAN(ref *node, path string) *VLAN {
	vc := s.v.lookupVLAN(ref)
	if vc == nil {
		s.v.e.add(ref.pos(path), "unknown VLAN %s in router", quote(ref.text()))
		return nil
	}
	return s.vlans[vc]
}

func (s *dpState) checkBGP() {
	var bgp []*Router
	for _, r := range s.dp.Routers {
		if r.BGP != nil && r.BGP.AS != 0 && r.BGP.VLAN != nil {
			bgp = append(bgp, r)
		}
	}
	if len(bgp) == 0 {
		return
	}
	ids := map[netip.Addr]bool{}
	ports := map[uint16]bool{}
	for _, r := range bgp {
		ids[r.BGP.RouterID] = true
		ports[r.BGP.Port] = true
		if !slices.Equal(sortedAddrs(r.BGP.ServerAddresses), sortedAddrs(bgp[0].BGP.ServerAddresses)) {
			s.v.e.add(r.Pos, "BGP server addresses must all be the same")
		}
	}
	if len(ids) != 1 {
		s.v.e.add(bgp[0].Pos, "BGP router IDs must all be the same")
	}
	if len(ports) != 1 {
		s.v.e.add(bgp[0].Pos, "BGP ports must all be the same")
	}
}

func sortedAddrs(a []netip.Addr) []netip.Addr {
	out := slices.Clone(a)
	slices.SortFunc(out, func(x, y netip.Addr) int { return x.Compare(y) })
	return out
}
