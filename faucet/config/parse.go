package config

// Document is the result of Parse: every section checked for keys and
// types, with defaults filled in, but cross references (VLANs, ports,
// ACLs, meters, routers, stack peers) not yet resolved.
type Document struct {
	src     *Source
	vlans   []*vlanConf
	acls    []*aclConf
	meters  []*Meter
	routers []*routerConf
	dps     []*dpConf
	voip    *node
}

// Parse checks the loaded sections against Faucet's schema: unknown keys,
// value types, per-object checks and defaults. It reports every problem it
// finds; the returned Document is usable by Validate even when there are
// errors, so that Validate can add the cross-reference errors.
func Parse(src *Source) (*Document, error) {
	var e errList
	doc := parse(&e, src)
	if e.len() > 0 {
		return doc, e.errs.sorted()
	}
	return doc, nil
}

func parse(e *errList, src *Source) *Document {
	doc := &Document{src: src}
	if v := src.version; v != nil && !v.isNull() {
		ok := false
		if i, isInt := v.intVal(); isInt && v.kind == kInt && i == 2 {
			ok = true
		}
		if v.kind == kFloat && v.f == 2 {
			ok = true
		}
		if !ok {
			e.add(v.pos("version"), "only config version 2 is supported, not %s", v.text())
		}
	}
	sec := src.sections
	if v := sec["vlans"]; v != nil {
		for i, k := range v.keys {
			doc.vlans = append(doc.vlans, parseVLAN(e, k, v.vals[i]))
		}
	}
	if v := sec["acls"]; v != nil {
		for i, k := range v.keys {
			doc.acls = append(doc.acls, parseACL(e, k, v.vals[i]))
		}
	}
	if v := sec["meters"]; v != nil {
		for i, k := range v.keys {
			if m := parseMeter(e, k, v.vals[i]); m != nil {
				doc.meters = append(doc.meters, m)
			}
		}
	}
	if v := sec["routers"]; v != nil {
		for i, k := range v.keys {
			doc.routers = append(doc.routers, parseRouter(e, k, v.vals[i]))
		}
	}
	dps := sec["dps"]
	if dps == nil || len(dps.keys) == 0 {
		p := Pos{File: src.Main, Path: "dps"}
		if dps != nil {
			p = dps.pos("dps")
		}
		e.add(p, "no DPs are configured")
	} else {
		for i, k := range dps.keys {
			if dp := parseDP(e, k, dps.vals[i]); dp != nil {
				dp.index = len(doc.dps)
				doc.dps = append(doc.dps, dp)
			}
		}
	}
	doc.voip = sec["voip"]
	return doc
}
