package config

import (
	"encoding/hex"
	"sort"
	"strings"
)

var portSchema = schema{
	"number": tInt, "name": tStr, "description": tStr, "enabled": tBool,
	"permanent_learn": tBool, "unicast_flood": tBool, "mirror": tList | tStr | tInt,
	"native_vlan": tStr | tInt, "tagged_vlans": tList, "acl_in": tStr | tInt, "acls_in": tList,
	"stack": tDict, "max_hosts": tInt, "hairpin": tBool, "hairpin_unicast": tBool,
	"lacp": tInt, "lacp_active": tBool, "lacp_collect_and_distribute": tBool,
	"lacp_unselected": tBool, "lacp_selected": tBool, "lacp_standby": tBool,
	"lacp_passthrough": tList, "lacp_resp_interval": tInt, "lacp_port_priority": tInt,
	"lacp_port_id": tInt, "loop_protect": tBool, "loop_protect_external": tBool,
	"output_only": tBool, "lldp_beacon": tDict, "opstatus_reconf": tBool,
	"receive_lldp": tBool, "lldp_peer_mac": tStr, "dot1x": tBool, "dot1x_acl": tBool,
	"dot1x_mab": tBool, "dot1x_dyn_acl": tBool, "max_lldp_lost": tInt,
	"restricted_bcast_arpnd": tBool, "coprocessor": tDict, "count_untag_vlan_miss": tBool,
}

// portDefaults are the values a key may take on a non-VLAN port without
// being an error (Faucet compares each key against its default).
var portDefaults = map[string]string{
	"permanent_learn": "False", "unicast_flood": "True", "max_hosts": "255",
	"hairpin": "False", "hairpin_unicast": "False", "lacp": "0", "lacp_active": "False",
	"lacp_collect_and_distribute": "False", "lacp_unselected": "False",
	"lacp_selected": "False", "lacp_standby": "False", "lacp_resp_interval": "1",
	"lacp_port_priority": "255", "lacp_port_id": "-1", "loop_protect": "False",
	"loop_protect_external": "False", "opstatus_reconf": "True", "receive_lldp": "False",
	"dot1x": "False", "dot1x_acl": "False", "dot1x_mab": "False", "dot1x_dyn_acl": "False",
	"restricted_bcast_arpnd": "False", "count_untag_vlan_miss": "False",
}

var portStackSchema = schema{"dp": tStr, "port": tStr | tInt}

var portLLDPSchema = schema{"enable": tBool, "org_tlvs": tList, "system_name": tStr, "port_descr": tStr}

var orgTLVSchema = schema{"oui": tInt, "subtype": tInt, "info": tStr}

var coprocessorSchema = schema{"strategy": tStr, "vlan_vid_base": tInt}

// portConf keeps a port's unresolved references.
type portConf struct {
	key    *node
	path   string
	o      *obj
	port   *Port
	native *node
	tagged []*node
	acls   []*node
	mirror []*node
	// stack peer as written
	stackDP   string
	stackPort *node
	passthru  []*node
}

// PortInPort is OpenFlow's IN_PORT (0xfffffff8). As in Faucet, an
// output_only interface with this number lets an ACL send a packet back out
// of the port it came in on (output: {port: 0xfffffff8}).
const PortInPort = 0xfffffff8

func parsePort(e *errList, dc *dpConf, key, conf *node) *portConf {
	path := dc.path + ".interfaces." + key.text()
	o := checkObj(e, conf, path, "interface", portSchema)
	pc := &portConf{key: key, path: path, o: o}
	p := &Port{
		Enabled: true, UnicastFlood: true, MaxHosts: 255, OpstatusReconf: true, MaxLLDPLost: 3,
		Pos: key.pos(path),
	}
	pc.port = p

	numNode := o.get("number")
	if numNode == nil {
		numNode = key
	}
	n, ok := numNode.intVal()
	if !numNode.isInt() || !ok || n <= 0 || n > 0xffffff00 && n != PortInPort {
		e.add(numNode.pos(path), "port number invalid: %s (interfaces are keyed by port number, or by name with number: set)", numNode.text())
		return nil
	}
	p.Number = uint32(n)
	p.Name = o.str("name", key.text())
	if kt := key.text(); kt != itoa(int(p.Number)) && kt != p.Name {
		e.add(key.pos(path), "port key %s must match the port name or port number", quote(kt))
	}
	p.Description = o.str("description", p.Name)
	p.Enabled = o.boolean("enabled", true)
	p.PermanentLearn = o.boolean("permanent_learn", false)
	p.UnicastFlood = o.boolean("unicast_flood", true)
	p.MaxHosts = o.integer("max_hosts", 255)
	p.Hairpin = o.boolean("hairpin", false)
	p.HairpinUnicast = o.boolean("hairpin_unicast", false)
	p.LoopProtect = o.boolean("loop_protect", false)
	p.LoopProtectExternal = o.boolean("loop_protect_external", false)
	p.OutputOnly = o.boolean("output_only", false)
	if p.Number == PortInPort && !p.OutputOnly {
		// Faucet accepts it, but the switch never reports such a port, so
		// Faucet installs nothing for it but ACL outputs. voipsdn compiles
		// configured ports, and an in_port match on it or a flood to it
		// (back out of the ingress port) would be wrong: say so instead.
		e.add(numNode.pos(path), "port %d (OpenFlow IN_PORT) can only be an ACL output target: set output_only: true", PortInPort)
	}
	p.OpstatusReconf = o.boolean("opstatus_reconf", true)
	p.ReceiveLLDP = o.boolean("receive_lldp", false)
	p.MaxLLDPLost = o.integer("max_lldp_lost", 3)
	p.RestrictedBcastARPND = o.boolean("restricted_bcast_arpnd", false)
	p.CountUntagVLANMiss = o.boolean("count_untag_vlan_miss", false)
	p.Dot1x = o.boolean("dot1x", false)
	p.Dot1xACL = o.boolean("dot1x_acl", false)
	p.Dot1xMAB = o.boolean("dot1x_mab", false)
	p.Dot1xDynACL = o.boolean("dot1x_dyn_acl", false)
	p.LACP = o.integer("lacp", 0)
	p.LACPOptions = LACPOptions{
		Active:               o.boolean("lacp_active", false),
		CollectAndDistribute: o.boolean("lacp_collect_and_distribute", false),
		Unselected:           o.boolean("lacp_unselected", false),
		Selected:             o.boolean("lacp_selected", false),
		Standby:              o.boolean("lacp_standby", false),
		RespInterval:         1,
		PortPriority:         255,
		PortID:               o.integer("lacp_port_id", -1),
	}
	if v := o.get("lacp_resp_interval"); v != nil {
		i, ok := v.intVal()
		if !ok || i > 65535 || i < 1 {
			e.add(o.keyPos("lacp_resp_interval"), "lacp_resp_interval must be at least 0.3 and less than 65536 (got %s)", v.text())
		} else {
			p.LACPOptions.RespInterval = int(i)
		}
	}
	if v := o.get("lacp_port_priority"); v != nil {
		i, ok := v.intVal()
		if !ok || i > 255 || i < 0 {
			e.add(o.keyPos("lacp_port_priority"), "lacp port priority must be at least 0 and less than 256 (got %s)", v.text())
		} else {
			p.LACPOptions.PortPriority = int(i)
		}
	}
	forced := 0
	for _, b := range []bool{p.LACPOptions.Selected, p.LACPOptions.Unselected, p.LACPOptions.Standby} {
		if b {
			forced++
		}
	}
	if forced > 1 {
		e.add(p.Pos, "cannot force multiple LACP port selection states (lacp_selected, lacp_unselected, lacp_standby)")
	}
	pc.passthru = o.list("lacp_passthrough")
	if m := o.get("lldp_peer_mac"); m != nil {
		mac, ok := parseMAC(m.s)
		if !ok {
			e.add(o.keyPos("lldp_peer_mac"), "invalid MAC address %s", quote(m.s))
		} else {
			p.LLDPPeerMAC = mac
		}
	}

	// VLAN and other references are resolved per DP later.
	pc.native = o.get("native_vlan")
	pc.tagged = o.list("tagged_vlans")
	pc.acls = aclRefs(e, o, path, "acl_in", "acls_in")
	if m := o.get("mirror"); m != nil {
		if m.kind == kSeq {
			pc.mirror = m.seq
		} else {
			pc.mirror = []*node{m}
		}
	}
	if s := o.get("stack"); s != nil && truthy(s) {
		so := checkObj(e, s, join(path, "stack"), "stack", portStackSchema)
		for _, req := range []string{"dp", "port"} {
			if !s.has(req) {
				e.add(s.pos(join(path, "stack")), "stack %s must be defined", req)
			}
		}
		pc.stackDP = so.str("dp", "")
		pc.stackPort = so.get("port")
		p.Stack = &PortStack{DP: pc.stackDP}
	}
	if c := o.get("coprocessor"); c != nil && truthy(c) {
		co := checkObj(e, c, join(path, "coprocessor"), "coprocessor", coprocessorSchema)
		p.Coprocessor = &Coprocessor{Strategy: co.str("strategy", ""), VLANVIDBase: co.integer("vlan_vid_base", 1000)}
		if p.Coprocessor.Strategy != "vlan_vid" {
			e.add(co.keyPos("strategy"), "coprocessor only supports vlan_vid strategy")
		}
	}
	checkNonVLANPort(e, pc)
	if p.Hairpin && p.HairpinUnicast {
		e.add(p.Pos, "cannot have both hairpin and hairpin_unicast enabled")
	}
	checkDot1xPort(e, pc)
	if lb := o.get("lldp_beacon"); lb != nil && truthy(lb) {
		p.LLDPBeacon = parsePortLLDP(e, lb, join(path, "lldp_beacon"), p.Description)
	}
	if p.Stack != nil {
		// LLDP always runs on stack ports.
		p.ReceiveLLDP = true
		if p.LLDPBeacon == nil {
			p.LLDPBeacon = &PortLLDPBeacon{PortDescr: p.Description}
		}
		p.LLDPBeacon.Enable = true
	}
	return pc
}

// checkNonVLANPort applies Faucet's rules for stack, mirror, coprocessor
// and output_only ports: no VLANs and no VLAN-only options.
func checkNonVLANPort(e *errList, pc *portConf) {
	o, p := pc.o, pc.port
	var nonVLAN []string
	for _, k := range []string{"coprocessor", "mirror", "output_only", "stack"} {
		if truthy(o.get(k)) {
			nonVLAN = append(nonVLAN, k)
		}
	}
	if len(nonVLAN) == 0 {
		return
	}
	if truthy(pc.native) || len(pc.tagged) > 0 {
		e.add(p.Pos, "cannot have VLANs configured on non-VLAN ports: port %d has %s", p.Number, strings.Join(nonVLAN, ", "))
	}
	only := func(allowed ...string) bool {
		for _, k := range nonVLAN {
			ok := false
			for _, a := range allowed {
				ok = ok || a == k
			}
			if !ok {
				return false
			}
		}
		return true
	}
	switch {
	case p.OutputOnly:
		if !only("mirror", "output_only") {
			e.add(p.Pos, "output_only can only coexist with mirror option on the same port")
		}
	case truthy(o.get("mirror")):
		if !only("mirror", "coprocessor") {
			e.add(p.Pos, "coprocessor can only coexist with mirror option on the same port")
		}
	case len(nonVLAN) > 1:
		e.add(p.Pos, "cannot have multiple non-VLAN port options %v on the same port", nonVLAN)
	}
	skipACL := p.Stack != nil || truthy(o.get("coprocessor"))
	keys := make([]string, 0)
	for _, k := range o.n.keys {
		keys = append(keys, k.s)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "enabled", "number", "name", "description", "max_lldp_lost",
			"stack", "mirror", "coprocessor", "output_only", "native_vlan", "tagged_vlans":
			continue
		}
		if strings.HasPrefix(k, "acl") && skipACL {
			continue
		}
		v := o.get(k)
		if v == nil || !truthy(v) {
			continue
		}
		if def, ok := portDefaults[k]; ok && pyEqualText(v, def) {
			continue
		}
		e.add(o.keyPos(k), "cannot have VLAN option %s: %s on non-VLAN port %d", k, v.text(), p.Number)
	}
}

// pyEqualText compares a scalar with a default written as Python text.
func pyEqualText(v *node, def string) bool {
	switch v.kind {
	case kBool:
		if v.b {
			return def == "True" || def == "1"
		}
		return def == "False" || def == "0"
	case kInt:
		t := v.text()
		return t == def || (t == "1" && def == "True") || (t == "0" && def == "False")
	}
	return false
}

func checkDot1xPort(e *errList, pc *portConf) {
	p := pc.port
	if !p.Dot1x {
		if p.Dot1xACL || p.Dot1xMAB || p.Dot1xDynACL {
			e.add(p.Pos, "802.1x features (dot1x_acl, dot1x_mab, dot1x_dyn_acl) require dot1x: true on the port")
		}
		return
	}
	if p.Number > 65535 {
		e.add(p.Pos, "802.1x not supported on ports > 65535")
	}
	if p.Dot1xMAB && p.Dot1xDynACL {
		e.add(p.Pos, "802.1x_MAB cannot be used with 802.1x_DYN_ACL (dot1x_mab with dot1x_dyn_acl)")
	}
	if p.Dot1xDynACL && p.Dot1xACL {
		e.add(p.Pos, "802.1x_DYN_ACL cannot be used with 802.1x_ACL (dot1x_dyn_acl with dot1x_acl)")
	}
}

func parsePortLLDP(e *errList, lb *node, path, descr string) *PortLLDPBeacon {
	lo := checkObj(e, lb, path, "lldp_beacon", portLLDPSchema)
	b := &PortLLDPBeacon{
		Enable:     lo.boolean("enable", false),
		SystemName: lo.str("system_name", ""),
		PortDescr:  lo.str("port_descr", descr),
	}
	for i, t := range lo.list("org_tlvs") {
		tp := index(join(path, "org_tlvs"), i)
		if t.kind != kMap {
			e.add(t.pos(tp), "org_tlv must be a mapping with oui, subtype and info, not %s", describe(t))
			continue
		}
		to := checkObj(e, t, tp, "org_tlv", orgTLVSchema)
		if len(t.keys) != 3 {
			e.add(t.pos(tp), "missing org_tlv config: oui, subtype and info are all required")
			continue
		}
		oui, sub, info := to.get("oui"), to.get("subtype"), to.get("info")
		if oui == nil || sub == nil || info == nil {
			continue
		}
		ov, _ := oui.intVal()
		sv, _ := sub.intVal()
		if ov < 0 || ov > 0xffffff || sv < 0 || sv > 255 {
			e.add(t.pos(tp), "org_tlv oui must fit in 24 bits and subtype in 8 bits")
			continue
		}
		data, err := hex.DecodeString(info.s)
		if err != nil {
			data = []byte(info.s)
		}
		if len(data) > maxOrgInfo {
			e.add(t.pos(tp), "org_tlv info must be at most %d octets, not %d", maxOrgInfo, len(data))
			continue
		}
		b.OrgTLVs = append(b.OrgTLVs, OrgTLV{OUI: uint32(ov), Subtype: uint8(sv), Info: data})
	}
	return b
}
