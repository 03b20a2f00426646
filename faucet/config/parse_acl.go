package config

var aclSchema = schema{"rules": tList, "exact_match": tBool, "dot1x_assigned": tBool}

var actionsSchema = schema{
	"meter": tStr, "mirror": tStr | tInt, "output": tDict | tList,
	"allow": tInt, "force_port_vlan": tInt,
}

var outputSchema = schema{
	"tunnel": tDict, "port": tStr | tInt, "ports": tList, "failover": tDict,
	"set_fields": tList, "pop_vlans": tInt, "swap_vid": tInt, "vlan_vid": tInt, "vlan_vids": tList,
}

var tunnelSchema = schema{
	"type": tStr, "tunnel_id": tStr | tInt, "dp": tStr, "port": tStr | tInt,
	"exit_instructions": tList, "maintain_encapsulation": tBool, "bi_directional": tBool, "reverse": tBool,
	"vlan": tStr | tInt,
}

var failoverSchema = schema{"group_id": tInt, "ports": tList}

// aclConf is a parsed ACL. Errors that Faucet only finds when it builds
// the ACL's flows (bad match values, unknown set_fields) are kept in
// buildErrs and reported only if a DP uses the ACL, as Faucet does.
type aclConf struct {
	key       *node
	acl       *ACL
	rules     []*ruleConf
	buildErrs Errors
	tunnel    bool
}

// ruleConf keeps a rule's unresolved references.
type ruleConf struct {
	n      *node
	path   string
	rule   *Rule
	output *node // the output action as written
	// stepRaw and stepPath give each output step's YAML node and path.
	stepRaw  []*node
	stepPath []string
}

func aclPath(k *node) string { return "acls." + k.text() }

func parseACL(e *errList, key, conf *node) *aclConf {
	path := aclPath(key)
	ac := &aclConf{key: key, acl: &ACL{Name: key.text(), Pos: key.pos(path)}}
	var rules []*node
	rulesPath := path
	switch conf.kind {
	case kMap:
		o := checkObj(e, conf, path, "ACL", aclSchema)
		ac.acl.ExactMatch = o.boolean("exact_match", false)
		ac.acl.Dot1xAssigned = o.boolean("dot1x_assigned", false)
		rules = o.list("rules")
		rulesPath = join(path, "rules")
	case kSeq:
		rules = conf.seq
	default:
		e.add(conf.pos(path), "ACL must be a list of rules or a mapping with rules:, not %s", describe(conf))
		return ac
	}
	if len(rules) == 0 {
		e.add(key.pos(path), "no rules found for ACL %s", key.text())
		return ac
	}
	build := &errList{}
	for i, r := range rules {
		rp := index(rulesPath, i)
		// A rule is `- rule: {...}` or the mapping itself; `- rule:` with
		// a null value takes the item's other keys (Faucet does the same).
		rn := r
		if r.kind == kMap && r.has("rule") {
			if inner := r.get("rule"); !inner.isNull() {
				rn = inner
				rp = join(rp, "rule")
			} else {
				rn = &node{kind: kMap, file: r.file, line: r.line, col: r.col}
				for j, k := range r.keys {
					if k.s == "rule" || r.vals[j].isNull() {
						continue
					}
					rn.keys = append(rn.keys, k)
					rn.vals = append(rn.vals, r.vals[j])
				}
			}
		}
		if rn.kind != kMap {
			e.add(rn.pos(rp), "ACL rule must be a mapping, not %s", describe(rn))
			continue
		}
		rc := parseRule(e, build, rn, rp)
		ac.rules = append(ac.rules, rc)
		ac.acl.Rules = append(ac.acl.Rules, rc.rule)
		if rc.rule.Actions.Output != nil {
			for _, st := range rc.rule.Actions.Output.Steps {
				if st.Kind == OutTunnel {
					ac.tunnel = true
				}
			}
		}
	}
	ac.buildErrs = build.errs
	return ac
}

func parseRule(e, build *errList, rn *node, path string) *ruleConf {
	rc := &ruleConf{n: rn, path: path, rule: &Rule{Pos: rn.pos(path)}}
	r := rc.rule
	for i, k := range rn.keys {
		v := rn.vals[i]
		kp := join(path, k.text())
		name := k.s
		if k.kind != kStr {
			name = ""
		}
		switch name {
		case "cookie":
			if v.isNull() {
				continue
			}
			if !v.isInt() {
				e.add(v.pos(kp), "must be int, not %s", describe(v))
				continue
			}
			c, ok := v.intVal()
			if !ok || c < 0 || c > 1<<16 {
				e.add(v.pos(kp), "rule cookie value must be 0-2**16, not %s", v.text())
				continue
			}
			cv := uint32(c)
			r.Cookie = &cv
		case "description":
			if v.isNull() {
				continue
			}
			if v.kind != kStr {
				e.add(v.pos(kp), "must be str, not %s", describe(v))
				continue
			}
			r.Description = v.s
		case "actions":
			parseActions(e, build, rc, v, kp)
		default:
			canon, known := matchFieldName(name)
			if !known {
				e.add(k.pos(kp), "unknown field %s in ACL rule: not a match field, cookie, description or actions", quote(k.text()))
				continue
			}
			if !v.isNull() && v.kind != kStr && !v.isInt() {
				e.add(v.pos(kp), "must be str or int, not %s", describe(v))
				continue
			}
			mf, msg := parseMatchValue(canon, v)
			if msg != "" {
				build.add(v.pos(kp), "%s", msg)
				continue
			}
			if canon != name {
				mf.As = name
			}
			// A legacy name and its new name: the legacy value wins, as in Faucet.
			replaced := false
			for j := range r.Match {
				if r.Match[j].Field == canon {
					if mf.As != "" {
						r.Match[j] = mf
					}
					replaced = true
				}
			}
			if !replaced {
				r.Match = append(r.Match, mf)
			}
		}
	}
	return rc
}

func parseActions(e, build *errList, rc *ruleConf, v *node, path string) {
	if !truthy(v) {
		e.add(v.pos(path), "missing rule actions: actions must not be empty")
		return
	}
	if v.kind != kMap {
		e.add(v.pos(path), "must be dict, not %s", describe(v))
		return
	}
	o := checkObj(e, v, path, "ACL rule actions", actionsSchema)
	a := &rc.rule.Actions
	if n := o.get("allow"); n != nil {
		allow, _ := n.intVal()
		b := allow == 1
		a.Allow = &b
	}
	if n := o.get("force_port_vlan"); n != nil {
		f, _ := n.intVal()
		a.ForcePortVLAN = f == 1
	}
	a.Meter = o.str("meter", "")
	if n := o.get("mirror"); n != nil {
		a.Mirror = &PortRef{Ref: n.text()}
	}
	if n := o.get("output"); n != nil {
		rc.output = n
		a.Output = parseOutput(e, build, rc, n, join(path, "output"))
	}
}

// parseOutput reads both output forms. The legacy mapping form is turned
// into steps in the order Faucet applies it: pop VLANs, push/swap VLAN,
// set fields, output port(s), failover group, tunnel.
func parseOutput(e, build *errList, rc *ruleConf, n *node, path string) *Output {
	out := &Output{}
	if n.kind == kSeq {
		out.Ordered = true
		for i, item := range n.seq {
			ip := index(path, i)
			if item.kind != kMap {
				e.add(item.pos(ip), "ordered output entry must be a mapping with one action, not %s", describe(item))
				continue
			}
			if len(item.keys) > 1 {
				e.add(item.pos(ip), "ACL ordered output must have only one action per element")
				continue
			}
			o := checkObj(e, item, ip, "ACL output", outputSchema)
			for j, k := range item.keys {
				if o.bad[k.s] || item.vals[j].isNull() {
					continue
				}
				if st, ok := parseOutputStep(e, build, k.s, item.vals[j], join(ip, k.s)); ok {
					out.Steps = append(out.Steps, st)
					rc.stepRaw = append(rc.stepRaw, item.vals[j])
					rc.stepPath = append(rc.stepPath, join(ip, k.s))
				}
			}
		}
		return out
	}
	o := checkObj(e, n, path, "ACL output", outputSchema)
	for _, name := range []string{"pop_vlans", "vlan_vid", "swap_vid", "vlan_vids", "set_fields", "port", "ports", "failover", "tunnel"} {
		v := o.get(name)
		if v == nil {
			continue
		}
		// Faucet pushes vlan_vid, else swaps, else pushes vlan_vids.
		if name == "swap_vid" && o.get("vlan_vid") != nil || name == "vlan_vids" && (o.get("vlan_vid") != nil || o.get("swap_vid") != nil) {
			continue
		}
		if st, ok := parseOutputStep(e, build, name, v, join(path, name)); ok {
			out.Steps = append(out.Steps, st)
			rc.stepRaw = append(rc.stepRaw, v)
			rc.stepPath = append(rc.stepPath, join(path, name))
		}
	}
	return out
}

func parseOutputStep(e, build *errList, name string, v *node, path string) (OutputStep, bool) {
	st := OutputStep{Kind: OutputKind(name)}
	switch name {
	case "port":
		st.Port = &PortRef{Ref: v.text()}
	case "ports":
		for i, p := range v.seq {
			if p.kind != kStr && !p.isInt() {
				e.add(p.pos(index(path, i)), "port must be a name or number, not %s", describe(p))
				continue
			}
			st.Ports = append(st.Ports, PortRef{Ref: p.text()})
		}
	case "pop_vlans":
		i, _ := v.intVal()
		if i < 0 || i > 8 {
			build.add(v.pos(path), "pop_vlans must be 0-8, not %d", i)
			return st, false
		}
		st.PopVLANs = int(i)
	case "vlan_vid", "swap_vid":
		vid, ok := vidValue(build, v, path)
		if !ok {
			return st, false
		}
		st.VID = vid
		if name == "vlan_vid" {
			st.PushVLANs = []PushVLAN{{VID: vid, EthType: 0x8100}}
		}
	case "vlan_vids":
		for i, item := range v.seq {
			ip := index(path, i)
			pv := PushVLAN{EthType: 0x8100}
			switch {
			case item.isInt():
				vid, ok := vidValue(build, item, ip)
				if !ok {
					continue
				}
				pv.VID = vid
			case item.kind == kMap:
				vo := checkObj(e, item, ip, "vlan_vids entry", schema{"vid": tInt, "eth_type": tInt})
				vn := vo.get("vid")
				if vn == nil {
					build.add(item.pos(ip), "vlan_vids entry needs a vid")
					continue
				}
				vid, ok := vidValue(build, vn, join(ip, "vid"))
				if !ok {
					continue
				}
				pv.VID = vid
				if et := vo.get("eth_type"); et != nil {
					t, _ := et.intVal()
					if t != 0x8100 && t != 0x88a8 {
						build.add(et.pos(join(ip, "eth_type")), "push VLAN eth_type must be 0x8100 or 0x88a8, not %s", et.text())
						continue
					}
					pv.EthType = uint16(t)
				}
			default:
				build.add(item.pos(ip), "vlan_vids entry must be a VID or {vid, eth_type}, not %s", describe(item))
				continue
			}
			st.PushVLANs = append(st.PushVLANs, pv)
		}
	case "set_fields":
		for i, item := range v.seq {
			ip := index(path, i)
			if item.kind != kMap || len(item.keys) != 1 {
				build.add(item.pos(ip), "set_fields entry must be a mapping with exactly one field, not %s", describe(item))
				continue
			}
			k, val := item.keys[0], item.vals[0]
			sf, msg := parseSetField(k.text(), val)
			if msg != "" {
				build.add(val.pos(join(ip, k.text())), "%s", msg)
				continue
			}
			st.SetFields = append(st.SetFields, sf)
		}
	case "failover":
		fo := checkObj(e, v, path, "failover", failoverSchema)
		gid, ports := fo.get("group_id"), fo.get("ports")
		if gid == nil || ports == nil {
			build.add(v.pos(path), "failover needs group_id and ports")
			return st, false
		}
		g, ok := gid.intVal()
		if !ok || g < 0 || g > 0xffffff00 {
			build.add(gid.pos(join(path, "group_id")), "failover group_id must be 0-4294967040, not %s", gid.text())
			return st, false
		}
		st.Failover = &Failover{GroupID: uint32(g)}
		for i, p := range ports.seq {
			if p.kind != kStr && !p.isInt() {
				e.add(p.pos(index(join(path, "ports"), i)), "port must be a name or number, not %s", describe(p))
				continue
			}
			st.Failover.Ports = append(st.Failover.Ports, PortRef{Ref: p.text()})
		}
	case "tunnel":
		to := checkObj(e, v, path, "tunnel", tunnelSchema)
		t := &Tunnel{
			Type:                  to.str("type", "vlan"),
			DP:                    to.str("dp", ""),
			BiDirectional:         to.boolean("bi_directional", false),
			MaintainEncapsulation: to.boolean("maintain_encapsulation", false),
			Reverse:               to.boolean("reverse", false),
		}
		if id := to.get("tunnel_id"); id != nil {
			t.TunnelID = id.text()
		}
		if p := to.get("port"); p != nil {
			t.Port = &PortRef{Ref: p.text()}
		}
		st.Tunnel = t
	}
	return st, true
}

func vidValue(build *errList, v *node, path string) (uint16, bool) {
	i, ok := v.intVal()
	if !ok || i < 0 || i > 4095 {
		build.add(v.pos(path), "invalid VID %s (must be 0-4095)", v.text())
		return 0, false
	}
	return uint16(i), true
}
