package config

import (
	"net"
	"net/netip"
)

// defaultFaucetMAC returns Faucet's FAUCET_MAC, used for VIPs and as
// faucet_dp_mac (a new slice each time: configs must not share one).
func defaultFaucetMAC() net.HardwareAddr {
	return net.HardwareAddr{0x0e, 0x00, 0x00, 0x00, 0x00, 0x01}
}

var vlanSchema = schema{
	"name": tStr, "description": tStr,
	"acl_in": tInt | tStr, "acls_in": tList, "acl_out": tInt | tStr, "acls_out": tList,
	"faucet_vips": tList, "faucet_mac": tStr, "unicast_flood": tBool, "routes": tList,
	"max_hosts": tInt, "vid": tInt, "proactive_arp_limit": tInt, "proactive_nd_limit": tInt,
	"targeted_gw_resolution": tBool, "minimum_ip_size_check": tBool,
	"reserved_internal_vlan": tBool, "dot1x_assigned": tBool, "edge_learn_stack_root": tBool,
}

// vlanConf is a parsed top-level VLAN before per-DP resolution.
type vlanConf struct {
	key   *node
	vlan  *VLAN
	valid bool // VID usable for references
	// acl name references, for resolution per DP.
	aclsIn, aclsOut []*node
}

func vlanPath(k *node) string { return "vlans." + k.text() }

func parseVLAN(e *errList, key, conf *node) *vlanConf {
	path := vlanPath(key)
	vc := &vlanConf{key: key}
	v := &VLAN{
		Name: key.text(), FaucetMAC: defaultFaucetMAC(), UnicastFlood: true, MaxHosts: 256,
		TargetedGWResolution: true, MinimumIPSizeCheck: true, EdgeLearnStackRoot: true,
		Pos: key.pos(path),
	}
	vc.vlan = v
	if key.kind != kStr && key.kind != kInt {
		e.add(key.pos(path), "VLAN key must be a name or a VID, not %s", key.kind)
	}
	if !conf.isNull() && conf.kind != kMap {
		e.add(conf.pos(path), "VLAN config must be a mapping, not %s", describe(conf))
		conf = nil
	}
	o := checkObj(e, conf, path, "VLAN", vlanSchema)

	// vid defaults to the key; the key must then be a valid VID.
	vidNode := o.get("vid")
	if vidNode == nil && !o.bad["vid"] {
		vidNode = key
	}
	if vidNode != nil {
		i, ok := vidNode.intVal()
		switch {
		case !ok || vidNode.kind == kStr || vidNode.kind == kFloat:
			e.add(vidNode.pos(join(path, "vid")), "invalid VID %s: a VLAN needs a numeric vid (1-4095)", vidNode.text())
		case i < 1 || i > 4095:
			e.add(vidNode.pos(join(path, "vid")), "invalid VID %s (must be 1-4095)", vidNode.text())
		default:
			v.VID = uint16(i)
			vc.valid = true
		}
	}
	v.Name = o.str("name", key.text())
	if kt := key.text(); kt != v.Name && (!vc.valid || kt != itoa(int(v.VID))) {
		e.add(key.pos(path), "VLAN key %s must match the VLAN name %s or its VID", quote(kt), quote(v.Name))
	}
	v.Description = o.str("description", v.Name)
	if s := o.get("faucet_mac"); s != nil {
		mac, ok := parseMAC(s.s)
		if !ok {
			e.add(o.keyPos("faucet_mac"), "invalid MAC address %s", quote(s.s))
		} else {
			v.FaucetMAC = mac
		}
	} else if o.n.has("faucet_mac") && !o.bad["faucet_mac"] {
		// Explicit null keeps the default, as in Faucet.
		v.FaucetMAC = defaultFaucetMAC()
	}
	v.UnicastFlood = o.boolean("unicast_flood", true)
	v.MaxHosts = o.integer("max_hosts", 256)
	v.ProactiveARPLimit = o.integer("proactive_arp_limit", 0)
	v.ProactiveNDLimit = o.integer("proactive_nd_limit", 0)
	if v.MaxHosts != 0 {
		if v.ProactiveARPLimit == 0 {
			v.ProactiveARPLimit = 2 * v.MaxHosts
		}
		if v.ProactiveNDLimit == 0 {
			v.ProactiveNDLimit = 2 * v.MaxHosts
		}
	}
	v.TargetedGWResolution = o.boolean("targeted_gw_resolution", true)
	v.MinimumIPSizeCheck = o.boolean("minimum_ip_size_check", true)
	v.ReservedInternalVLAN = o.boolean("reserved_internal_vlan", false)
	v.Dot1xAssigned = o.boolean("dot1x_assigned", false)
	v.EdgeLearnStackRoot = o.boolean("edge_learn_stack_root", true)

	vc.aclsIn = aclRefs(e, o, path, "acl_in", "acls_in")
	vc.aclsOut = aclRefs(e, o, path, "acl_out", "acls_out")
	for _, r := range vc.aclsIn {
		v.ACLsInNames = append(v.ACLsInNames, r.text())
	}
	for _, r := range vc.aclsOut {
		v.ACLsOutNames = append(v.ACLsOutNames, r.text())
	}

	for i, vip := range o.list("faucet_vips") {
		vp := index(join(path, "faucet_vips"), i)
		p, ok := ipInterface(e, vip, vp)
		if !ok {
			continue
		}
		if p.Bits() == p.Addr().BitLen() {
			e.add(vip.pos(vp), "VIP %s cannot be a host address (give the subnet prefix length)", vip.text())
			continue
		}
		v.FaucetVIPs = append(v.FaucetVIPs, p)
	}
	v.Routes = parseRoutes(e, o, path)
	return vc
}

// aclRefs reads acl_in / acls_in style keys (both given is an error).
func aclRefs(e *errList, o *obj, path, single, multi string) []*node {
	one, many := o.get(single), o.get(multi)
	if one != nil && many != nil && truthy(one) && len(many.seq) > 0 {
		e.add(o.keyPos(single), "found both %s and %s, use only %s", single, multi, multi)
		return nil
	}
	var refs []*node
	if one != nil && truthy(one) {
		refs = []*node{one}
	} else if many != nil {
		refs = many.seq
	}
	var out []*node
	for i, r := range refs {
		if r.kind != kStr && r.kind != kInt && r.kind != kBool {
			e.add(r.pos(index(join(path, multi), i)), "ACL names must be int or str, not %s", describe(r))
			continue
		}
		out = append(out, r)
	}
	return out
}

// truthy is Python truthiness for a node.
func truthy(n *node) bool {
	if n == nil {
		return false
	}
	switch n.kind {
	case kNull:
		return false
	case kBool:
		return n.b
	case kInt:
		return n.big != nil || n.i != 0
	case kFloat:
		return n.f != 0
	case kStr, kDate, kBytes:
		return n.s != "" || n.kind != kStr
	case kMap:
		return len(n.keys) > 0
	case kSeq:
		return len(n.seq) > 0
	}
	return false
}

// ipInterface checks a VIP as Faucet's _check_ip_str(ip_interface).
func ipInterface(e *errList, n *node, path string) (netip.Prefix, bool) {
	if n.kind != kStr {
		e.add(n.pos(path), "invalid IP address %s: must be a string like 10.0.0.254/24, not %s", n.text(), describe(n))
		return netip.Prefix{}, false
	}
	p, ok := parseIPInterface(n.s)
	if !ok {
		e.add(n.pos(path), "invalid IP address %s: not an IPv4 or IPv6 interface (address/prefix)", quote(n.s))
		return netip.Prefix{}, false
	}
	return p, true
}

func ipAddress(e *errList, n *node, path string) (netip.Addr, bool) {
	if n == nil || n.kind != kStr {
		what := "None"
		if n != nil {
			what = describe(n)
		}
		e.add(n.pos(path), "invalid IP address %s: must be a string, not %s", n.text(), what)
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(n.s)
	if err != nil || a.Zone() != "" {
		e.add(n.pos(path), "invalid IP address %s", quote(n.s))
		return netip.Addr{}, false
	}
	return a, true
}

func parseRoutes(e *errList, o *obj, path string) []Route {
	rp := join(path, "routes")
	items := o.list("routes")
	if len(items) == 0 {
		return nil
	}
	// Faucet unwraps `- route: {...}` entries when every entry has one.
	unwrap := true
	for i, it := range items {
		if it.kind != kMap {
			e.add(it.pos(index(rp, i)), "%s is not a valid routes value: each route must be a mapping with ip_dst and ip_gw", describe(it))
			return nil
		}
		if !it.has("route") {
			unwrap = false
		}
	}
	var out []Route
	for i, it := range items {
		ip := index(rp, i)
		r := it
		if unwrap {
			r = it.get("route")
			ip = join(ip, "route")
		}
		if r == nil || r.kind != kMap {
			e.add(it.pos(ip), "invalid VLAN route format: must be a mapping with ip_dst and ip_gw")
			continue
		}
		if !r.has("ip_gw") {
			e.add(r.pos(ip), "missing ip_gw in VLAN route")
			continue
		}
		if !r.has("ip_dst") {
			e.add(r.pos(ip), "missing ip_dst in VLAN route")
			continue
		}
		for _, k := range r.keys {
			if k.s != "ip_gw" && k.s != "ip_dst" {
				e.add(k.pos(join(ip, k.text())), "unknown key %s in VLAN route (valid keys: ip_dst, ip_gw)", quote(k.text()))
			}
		}
		gw, okGW := ipAddress(e, r.get("ip_gw"), join(ip, "ip_gw"))
		dstNode := r.get("ip_dst")
		var dst netip.Prefix
		okDst := false
		if dstNode == nil || dstNode.kind != kStr {
			e.add(dstNode.pos(join(ip, "ip_dst")), "invalid IP address %s: must be a network string like 10.0.0.0/24", dstNode.text())
		} else if dst, okDst = parseIPNetwork(dstNode.s); !okDst {
			e.add(dstNode.pos(join(ip, "ip_dst")), "invalid IP network %s (host bits must be zero)", quote(dstNode.s))
		}
		if okGW && okDst {
			if gw.Is4() != dst.Addr().Is4() {
				e.add(r.pos(ip), "ip_gw version does not match the ip_dst version")
				continue
			}
			out = append(out, Route{Dst: dst, Gateway: gw})
		}
	}
	return out
}
