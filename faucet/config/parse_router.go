package config

import (
	"net/netip"
	"strings"
)

var routerSchema = schema{"bgp": tDict, "vlans": tList}

var bgpSchema = schema{
	"as": tInt, "connect_mode": tStr, "neighbor_addresses": tList, "neighbor_as": tInt,
	"port": tInt, "routerid": tStr, "server_addresses": tList, "vlan": tStr | tInt,
}

var meterSchema = schema{"entry": tDict, "meter_id": tInt}

var meterEntrySchema = schema{"flags": tStr | tList, "bands": tList}

var meterBandSchema = schema{"type": tStr, "rate": tInt | tStr, "burst_size": tInt | tStr, "prec_level": tInt | tStr}

// routerConf keeps a router's VLAN references.
type routerConf struct {
	key     *node
	router  *Router
	vlans   []*node
	bgpVLAN *node
}

func parseRouter(e *errList, key, conf *node) *routerConf {
	path := "routers." + key.text()
	rc := &routerConf{key: key, router: &Router{Name: key.text(), Pos: key.pos(path)}}
	if conf.kind != kMap {
		e.add(conf.pos(path), "router config must be a mapping, not %s", describe(conf))
		return rc
	}
	o := checkObj(e, conf, path, "router", routerSchema)
	for i, v := range o.list("vlans") {
		if v.kind != kStr && !v.isInt() {
			e.add(v.pos(index(join(path, "vlans"), i)), "VLAN must be a name or VID, not %s", describe(v))
			continue
		}
		rc.vlans = append(rc.vlans, v)
		rc.router.VLANNames = append(rc.router.VLANNames, v.text())
	}
	bgp := o.get("bgp")
	if bgp == nil || !truthy(bgp) {
		if len(rc.vlans) == 0 {
			e.add(key.pos(path), "a router must have at least one VLAN specified at top level (vlans:)")
		}
		return rc
	}
	bp := join(path, "bgp")
	bo := checkObj(e, bgp, bp, "bgp", bgpSchema)
	b := &BGP{ConnectMode: bo.str("connect_mode", "passive")}
	rc.router.BGP = b
	addrs := func(key string) []netip.Addr {
		var out []netip.Addr
		for i, a := range bo.list(key) {
			if ip, ok := ipAddress(e, a, index(join(bp, key), i)); ok {
				out = append(out, ip)
			}
		}
		return out
	}
	b.ServerAddresses = addrs("server_addresses")
	b.NeighborAddresses = addrs("neighbor_addresses")
	asn := func(key string) uint32 {
		v := bo.get(key)
		if v == nil {
			return 0
		}
		i, ok := v.intVal()
		if !ok || i < 0 || i > 0xffffffff {
			e.add(bo.keyPos(key), "BGP %s must be a 32-bit AS number, not %s", key, v.text())
			return 0
		}
		return uint32(i)
	}
	b.AS, b.NeighborAS = asn("as"), asn("neighbor_as")
	if v := bo.get("port"); v != nil {
		i, ok := v.intVal()
		if !ok || i < 1 || i > 65535 {
			e.add(bo.keyPos("port"), "BGP port must be 1-65535, not %s", v.text())
		} else {
			b.Port = uint16(i)
		}
	}
	if v := bo.get("routerid"); v != nil {
		a, err := netip.ParseAddr(v.s)
		if err != nil || !a.Is4() {
			e.add(bo.keyPos("routerid"), "BGP routerid must be an IPv4 address, not %s", quote(v.s))
		} else {
			b.RouterID = a
		}
	}
	var missing []string
	for _, req := range []string{"server_addresses", "as", "port", "routerid", "neighbor_addresses", "neighbor_as"} {
		if !truthy(bo.get(req)) && !bo.bad[req] {
			missing = append(missing, req)
		}
	}
	if len(missing) > 0 {
		e.add(bgp.pos(bp), "BGP %s must be specified", strings.Join(missing, ", "))
	}
	if b.ConnectMode != "passive" {
		e.add(bo.keyPos("connect_mode"), "BGP connect_mode must be passive, not %s", quote(b.ConnectMode))
	}
	v4, v6 := 0, 0
	for _, a := range b.ServerAddresses {
		if a.Is4() {
			v4++
		} else {
			v6++
		}
	}
	if v4 > 1 || v6 > 1 {
		e.add(bo.keyPos("server_addresses"), "only one BGP server address per IP version is supported")
	}
	if v := bo.get("vlan"); v != nil {
		rc.bgpVLAN = v
	} else if len(rc.vlans) != 1 {
		e.add(bgp.pos(bp), "if routing more than one VLAN, must specify BGP vlan")
	} else {
		rc.bgpVLAN = rc.vlans[0]
	}
	if rc.bgpVLAN != nil {
		b.VLANName = rc.bgpVLAN.text()
		if len(rc.vlans) == 0 {
			rc.vlans = []*node{rc.bgpVLAN}
			rc.router.VLANNames = []string{rc.bgpVLAN.text()}
		}
	}
	return rc
}

var meterFlags = map[string]bool{"KBPS": true, "PKTPS": true, "BURST": true, "STATS": true}

func parseMeter(e *errList, key, conf *node) *Meter {
	path := "meters." + key.text()
	m := &Meter{Name: key.text(), Pos: key.pos(path)}
	if conf.kind != kMap {
		e.add(conf.pos(path), "meter config must be a mapping, not %s", describe(conf))
		return m
	}
	o := checkObj(e, conf, path, "meter", meterSchema)
	id := o.get("meter_id")
	if id == nil {
		if !o.bad["meter_id"] {
			e.add(key.pos(path), "meter_id must be specified")
		}
	} else if i, ok := id.intVal(); !ok || i < 0 || i > 4294901760 {
		e.add(o.keyPos("meter_id"), "meter_id must be 0-4294901760 (OpenFlow 1.3), not %s", id.text())
	} else {
		m.MeterID = uint32(i)
	}
	entry := o.get("entry")
	if entry == nil {
		if !o.bad["entry"] {
			e.add(key.pos(path), "meter entry must be specified")
		}
		return m
	}
	ep := join(path, "entry")
	eo := checkObj(e, entry, ep, "meter entry", meterEntrySchema)
	flags := eo.get("flags")
	switch {
	case flags == nil || !truthy(flags):
		e.add(entry.pos(ep), "meter entry flags must be specified")
	case flags.kind == kStr:
		flags = &node{kind: kSeq, seq: []*node{flags}}
	}
	if flags != nil {
		for i, f := range flags.seq {
			if f.kind != kStr || !meterFlags[f.s] {
				e.add(f.pos(index(join(ep, "flags"), i)), "unknown meter flag %s (valid: KBPS, PKTPS, BURST, STATS)", f.text())
				continue
			}
			m.Entry.Flags = append(m.Entry.Flags, f.s)
		}
	}
	bands := eo.list("bands")
	if len(bands) == 0 && !eo.bad["bands"] {
		e.add(entry.pos(ep), "meter entry bands must be specified")
	}
	for i, b := range bands {
		bp := index(join(ep, "bands"), i)
		if b.kind != kMap {
			e.add(b.pos(bp), "meter band must be a mapping, not %s", describe(b))
			continue
		}
		bo := checkObj(e, b, bp, "meter band", meterBandSchema)
		band := MeterBand{Type: bo.str("type", "")}
		if band.Type != "DROP" && band.Type != "DSCP_REMARK" {
			e.add(b.pos(bp), "meter band type must be DROP or DSCP_REMARK, not %s", quote(band.Type))
			continue
		}
		num := func(k string, max uint64) uint64 {
			v := bo.get(k)
			if v == nil {
				return 0
			}
			var x uint64
			ok := false
			if v.isInt() {
				i, small := v.intVal()
				x, ok = uint64(i), small && i >= 0
			} else if v.kind == kStr {
				x, ok = pyInt(v.s)
			}
			if !ok || x > max {
				e.add(bo.keyPos(k), "meter band %s must be 0-%d, not %s", k, max, v.text())
				return 0
			}
			return x
		}
		band.Rate = uint32(num("rate", 0xffffffff))
		band.BurstSize = uint32(num("burst_size", 0xffffffff))
		if band.Type == "DSCP_REMARK" {
			band.PrecLevel = uint8(num("prec_level", 255))
		} else if b.has("prec_level") {
			e.add(bo.keyPos("prec_level"), "prec_level only applies to DSCP_REMARK bands")
		}
		m.Entry.Bands = append(m.Entry.Bands, band)
	}
	return m
}
