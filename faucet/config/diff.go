package config

import (
	"cmp"
	"reflect"
	"slices"
)

// Changes lists keys added, changed and removed between two configs.
type Changes[K cmp.Ordered] struct {
	Added   []K `json:"added,omitempty"`
	Changed []K `json:"changed,omitempty"`
	Removed []K `json:"removed,omitempty"`
}

// Empty reports whether nothing changed.
func (c Changes[K]) Empty() bool {
	return len(c.Added) == 0 && len(c.Changed) == 0 && len(c.Removed) == 0
}

func (c *Changes[K]) sort() {
	slices.Sort(c.Added)
	slices.Sort(c.Changed)
	slices.Sort(c.Removed)
}

// RouteChange is a static route added to or removed from a VLAN.
type RouteChange struct {
	VID   uint16 `json:"vid"`
	Route Route  `json:"route"`
}

// DPDiff is the change set of one DP present in both configs.
type DPDiff struct {
	Name string `json:"name"`
	// ColdStart is set when the change cannot be applied incrementally
	// (Faucet restarts the whole DP): DP-level settings, routers, the
	// stack, or a routed VLAN changed. Reasons says why.
	ColdStart bool     `json:"cold_start"`
	Reasons   []string `json:"reasons,omitempty"`
	// Ports compares each port's settings, VLAN membership and ACL list.
	Ports Changes[uint32] `json:"ports"`
	// ACLPorts are changed ports whose only change is their ACLs (or the
	// content of an ACL they use); they need only their ACL flows redone.
	ACLPorts      []uint32        `json:"acl_ports,omitempty"`
	VLANs         Changes[uint16] `json:"vlans"`
	ACLs          Changes[string] `json:"acls"`
	Meters        Changes[string] `json:"meters"`
	Routers       Changes[string] `json:"routers"`
	RoutesAdded   []RouteChange   `json:"routes_added,omitempty"`
	RoutesRemoved []RouteChange   `json:"routes_removed,omitempty"`
}

// Empty reports whether the DP has no change that affects flows.
func (d *DPDiff) Empty() bool {
	return !d.ColdStart && d.Ports.Empty() && len(d.ACLPorts) == 0 && d.VLANs.Empty() &&
		d.ACLs.Empty() && d.Meters.Empty() && d.Routers.Empty() &&
		len(d.RoutesAdded) == 0 && len(d.RoutesRemoved) == 0
}

// VoIPDiff is the change set of the voip: section.
type VoIPDiff struct {
	Asterisk   Changes[string] `json:"asterisk"`
	QoSChanged bool            `json:"qos_changed"`
	// AGIChanged: voip.agi was added, removed or changed.
	AGIChanged bool `json:"agi_changed"`
}

// ChangeSet is the named change set between two configs, as returned by
// Diff.
type ChangeSet struct {
	DPs Changes[string] `json:"dps"`
	// PerDP holds the changes of DPs in both configs that changed.
	PerDP []*DPDiff `json:"per_dp,omitempty"`
	VoIP  VoIPDiff  `json:"voip"`
	// Cosmetic lists objects whose description alone changed; they need
	// no flow changes and do not make the diff non-empty.
	Cosmetic []string `json:"cosmetic,omitempty"`
}

// Empty reports whether the new config needs no change to running state.
func (d *ChangeSet) Empty() bool {
	return d.DPs.Empty() && len(d.PerDP) == 0 && d.VoIP.Asterisk.Empty() && !d.VoIP.QoSChanged && !d.VoIP.AGIChanged
}

// DP returns the change set for a DP, or nil when it did not change.
func (d *ChangeSet) DP(name string) *DPDiff {
	for _, dd := range d.PerDP {
		if dd.Name == name {
			return dd
		}
	}
	return nil
}

// Diff returns the change set from old to new. A nil old means
// everything in new is added. Descriptions do not affect flows, so a
// description-only change gives an empty change set (listed in Cosmetic).
func Diff(old, new *Config) *ChangeSet {
	d := &ChangeSet{}
	if old == nil {
		old = &Config{}
	}
	if new == nil {
		new = &Config{}
	}
	for _, ndp := range new.DPs {
		odp := old.DP(ndp.Name)
		if odp == nil {
			d.DPs.Added = append(d.DPs.Added, ndp.Name)
			continue
		}
		dd := diffDP(odp, ndp, &d.Cosmetic)
		if !dd.Empty() {
			d.DPs.Changed = append(d.DPs.Changed, ndp.Name)
			d.PerDP = append(d.PerDP, dd)
		}
	}
	for _, odp := range old.DPs {
		if new.DP(odp.Name) == nil {
			d.DPs.Removed = append(d.DPs.Removed, odp.Name)
		}
	}
	d.DPs.sort()
	d.VoIP = diffVoIP(old.VoIP, new.VoIP)
	return d
}

func diffDP(o, n *DP, cosmetic *[]string) *DPDiff {
	dd := &DPDiff{Name: n.Name}
	if !sameDPSettings(o, n) {
		dd.ColdStart = true
		dd.Reasons = append(dd.Reasons, "DP settings changed")
	} else if o.Description != n.Description {
		*cosmetic = append(*cosmetic, n.Pos.Path)
	}
	if (o.Stack == nil) != (n.Stack == nil) || o.Stack != nil && *o.Stack != *n.Stack {
		dd.ColdStart = true
		dd.Reasons = append(dd.Reasons, "stack changed")
	}

	// ACLs first: port and VLAN comparisons depend on them.
	aclChanged := map[string]bool{}
	diffKeyed(o.ACLs, n.ACLs, func(a *ACL) string { return a.Name }, sameACL, func(a, b *ACL) bool { return sameACLDescr(a, b) },
		&dd.ACLs, cosmetic, func(a *ACL) string { return a.Pos.Path })
	for _, name := range append(append([]string(nil), dd.ACLs.Added...), dd.ACLs.Changed...) {
		aclChanged[name] = true
	}
	diffKeyed(o.Meters, n.Meters, func(m *Meter) string { return m.Name }, sameMeter, nil, &dd.Meters, cosmetic, nil)
	diffKeyed(o.Routers, n.Routers, func(r *Router) string { return r.Name }, sameRouter, nil, &dd.Routers, cosmetic, nil)
	if !dd.Routers.Empty() {
		dd.ColdStart = true
		dd.Reasons = append(dd.Reasons, "routers changed")
	}

	// VLANs.
	oldV := map[uint16]*VLAN{}
	for _, v := range o.VLANs {
		oldV[v.VID] = v
	}
	for _, nv := range n.VLANs {
		ov, ok := oldV[nv.VID]
		if !ok {
			dd.VLANs.Added = append(dd.VLANs.Added, nv.VID)
			continue
		}
		delete(oldV, nv.VID)
		if !sameVLAN(ov, nv, aclChanged) {
			dd.VLANs.Changed = append(dd.VLANs.Changed, nv.VID)
			if len(nv.FaucetVIPs) > 0 {
				dd.ColdStart = true
				dd.Reasons = append(dd.Reasons, "routed VLAN "+nv.Name+" changed")
			}
		} else if ov.Description != nv.Description {
			*cosmetic = append(*cosmetic, nv.Pos.Path)
		}
		added, removed := diffRoutes(ov.Routes, nv.Routes)
		for _, r := range added {
			dd.RoutesAdded = append(dd.RoutesAdded, RouteChange{nv.VID, r})
		}
		for _, r := range removed {
			dd.RoutesRemoved = append(dd.RoutesRemoved, RouteChange{nv.VID, r})
		}
	}
	for vid, ov := range oldV {
		dd.VLANs.Removed = append(dd.VLANs.Removed, vid)
		for _, r := range ov.Routes {
			dd.RoutesRemoved = append(dd.RoutesRemoved, RouteChange{vid, r})
		}
	}

	// Ports.
	oldP := map[uint32]*Port{}
	for _, p := range o.Ports {
		oldP[p.Number] = p
	}
	for _, np := range n.Ports {
		op, ok := oldP[np.Number]
		if !ok {
			dd.Ports.Added = append(dd.Ports.Added, np.Number)
			continue
		}
		delete(oldP, np.Number)
		switch {
		case !samePort(op, np):
			dd.Ports.Changed = append(dd.Ports.Changed, np.Number)
		case !slices.Equal(aclNames(op.ACLsIn), aclNames(np.ACLsIn)) || anyChanged(np.ACLsIn, aclChanged):
			dd.ACLPorts = append(dd.ACLPorts, np.Number)
		case op.Description != np.Description:
			*cosmetic = append(*cosmetic, np.Pos.Path)
		}
	}
	for num := range oldP {
		dd.Ports.Removed = append(dd.Ports.Removed, num)
	}
	if !slices.Equal(aclNames(o.DPACLs), aclNames(n.DPACLs)) || anyChanged(n.DPACLs, aclChanged) {
		dd.ColdStart = true
		dd.Reasons = append(dd.Reasons, "dp_acls changed")
	}
	dd.Ports.sort()
	dd.VLANs.sort()
	dd.ACLs.sort()
	dd.Meters.sort()
	dd.Routers.sort()
	slices.Sort(dd.ACLPorts)
	sortRoutes(dd.RoutesAdded)
	sortRoutes(dd.RoutesRemoved)
	return dd
}

func anyChanged(acls []*ACL, changed map[string]bool) bool {
	for _, a := range acls {
		if changed[a.Name] {
			return true
		}
	}
	return false
}

// diffKeyed compares two named lists. sameDescr, when given, says whether
// two unequal items differ only in description (a cosmetic change).
func diffKeyed[T any](o, n []T, key func(T) string, same func(a, b T) bool, sameDescr func(a, b T) bool,
	out *Changes[string], cosmetic *[]string, path func(T) string) {
	old := map[string]T{}
	for _, x := range o {
		old[key(x)] = x
	}
	for _, x := range n {
		k := key(x)
		ox, ok := old[k]
		if !ok {
			out.Added = append(out.Added, k)
			continue
		}
		delete(old, k)
		if !same(ox, x) {
			out.Changed = append(out.Changed, k)
		} else if sameDescr != nil && !sameDescr(ox, x) {
			*cosmetic = append(*cosmetic, path(x))
		}
	}
	for k := range old {
		out.Removed = append(out.Removed, k)
	}
}

func sameDPSettings(a, b *DP) bool {
	x, y := *a, *b
	for _, d := range []*DP{&x, &y} {
		d.Description, d.Pos = "", Pos{}
		d.Ports, d.VLANs, d.ACLs, d.DPACLs, d.Meters, d.Routers, d.Stack = nil, nil, nil, nil, nil, nil, nil
		d.portByNum, d.portByName, d.vlanByVID, d.aclByName = nil, nil, nil, nil
	}
	return reflect.DeepEqual(x, y)
}

func samePort(a, b *Port) bool {
	x, y := *a, *b
	for _, p := range []*Port{&x, &y} {
		p.Description, p.Pos = "", Pos{}
		p.NativeVLAN, p.TaggedVLANs, p.ACLsIn = nil, nil, nil
		if p.LLDPBeacon != nil {
			lb := *p.LLDPBeacon
			lb.PortDescr = ""
			p.LLDPBeacon = &lb
		}
	}
	return reflect.DeepEqual(x, y) && vlanName(a.NativeVLAN) == vlanName(b.NativeVLAN) &&
		slices.Equal(vlanNames(a.TaggedVLANs), vlanNames(b.TaggedVLANs))
}

func vlanName(v *VLAN) string {
	if v == nil {
		return ""
	}
	return v.Name
}

func sameVLAN(a, b *VLAN, aclChanged map[string]bool) bool {
	x, y := *a, *b
	for _, v := range []*VLAN{&x, &y} {
		v.Description, v.Pos, v.ACLsIn, v.ACLsOut = "", Pos{}, nil, nil
	}
	return reflect.DeepEqual(x, y) &&
		slices.Equal(aclNames(a.ACLsIn), aclNames(b.ACLsIn)) && !anyChanged(b.ACLsIn, aclChanged) &&
		slices.Equal(aclNames(a.ACLsOut), aclNames(b.ACLsOut)) && !anyChanged(b.ACLsOut, aclChanged)
}

func sameACL(a, b *ACL) bool {
	if a.ExactMatch != b.ExactMatch || a.Dot1xAssigned != b.Dot1xAssigned || len(a.Rules) != len(b.Rules) {
		return false
	}
	for i := range a.Rules {
		x, y := *a.Rules[i], *b.Rules[i]
		x.Pos, y.Pos, x.Description, y.Description = Pos{}, Pos{}, "", ""
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func sameACLDescr(a, b *ACL) bool {
	for i := range a.Rules {
		if a.Rules[i].Description != b.Rules[i].Description {
			return false
		}
	}
	return true
}

func sameMeter(a, b *Meter) bool {
	return a.MeterID == b.MeterID && reflect.DeepEqual(a.Entry, b.Entry)
}

func sameRouter(a, b *Router) bool {
	if !slices.Equal(vlanNames(a.VLANs), vlanNames(b.VLANs)) || (a.BGP == nil) != (b.BGP == nil) {
		return false
	}
	if a.BGP == nil {
		return true
	}
	x, y := *a.BGP, *b.BGP
	x.VLAN, y.VLAN = nil, nil
	return reflect.DeepEqual(x, y) && vlanName(a.BGP.VLAN) == vlanName(b.BGP.VLAN)
}

func diffRoutes(o, n []Route) (added, removed []Route) {
	for _, r := range n {
		if !slices.Contains(o, r) {
			added = append(added, r)
		}
	}
	for _, r := range o {
		if !slices.Contains(n, r) {
			removed = append(removed, r)
		}
	}
	return added, removed
}

func sortRoutes(rs []RouteChange) {
	slices.SortFunc(rs, func(a, b RouteChange) int {
		if c := cmp.Compare(a.VID, b.VID); c != 0 {
			return c
		}
		return a.Route.Dst.Addr().Compare(b.Route.Dst.Addr())
	})
}

func diffVoIP(o, n *VoIP) VoIPDiff {
	var d VoIPDiff
	var oa, na []*AsteriskServer
	var oq, nq *QoS
	if o != nil {
		oa, oq = o.Asterisk, &o.QoS
	}
	if n != nil {
		na, nq = n.Asterisk, &n.QoS
	}
	diffKeyed(oa, na, func(s *AsteriskServer) string { return s.Name }, func(a, b *AsteriskServer) bool {
		x, y := *a, *b
		x.Pos, y.Pos = Pos{}, Pos{}
		return reflect.DeepEqual(x, y)
	}, nil, &d.Asterisk, nil, nil)
	d.Asterisk.sort()
	if (oq == nil) != (nq == nil) {
		d.QoSChanged = true
	} else if oq != nil {
		x, y := *oq, *nq
		x.Pos, y.Pos = Pos{}, Pos{}
		d.QoSChanged = !reflect.DeepEqual(x, y)
	}
	var og, ng *AGI
	if o != nil {
		og = o.AGI
	}
	if n != nil {
		ng = n.AGI
	}
	if (og == nil) != (ng == nil) {
		d.AGIChanged = true
	} else if og != nil {
		x, y := *og, *ng
		x.Pos, y.Pos = Pos{}, Pos{}
		d.AGIChanged = !reflect.DeepEqual(x, y)
	}
	return d
}
