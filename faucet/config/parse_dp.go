package config

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var dpSchema = schema{
	"dp_id": tInt, "name": tStr, "interfaces": tDict, "interface_ranges": tDict,
	"priority_offset": tInt, "lowest_priority": tInt, "low_priority": tInt,
	"high_priority": tInt, "highest_priority": tInt, "cookie": tInt, "timeout": tInt,
	"description": tStr, "hardware": tStr, "arp_neighbor_timeout": tInt,
	"nd_neighbor_timeout": tInt, "ofchannel_log": tStr, "stack": tDict,
	"ignore_learn_ins": tInt, "drop_broadcast_source_address": tBool,
	"drop_spoofed_faucet_mac": tBool, "group_table": tBool,
	"max_hosts_per_resolve_cycle": tInt, "max_host_fib_retry_count": tInt,
	"max_resolve_backoff_time": tInt, "packetin_pps": tInt, "slowpath_pps": tInt,
	"learn_jitter": tInt, "learn_ban_timeout": tInt, "advertise_interval": tInt,
	"fast_advertise_interval": tInt, "proactive_learn_v4": tBool, "proactive_learn_v6": tBool,
	"use_idle_timeout": tBool, "lldp_beacon": tDict, "metrics_rate_limit_sec": tInt,
	"faucet_dp_mac": tStr, "combinatorial_port_flood": tBool, "dp_acls": tList,
	"dot1x": tDict, "table_sizes": tDict, "min_wildcard_table_size": tInt,
	"max_wildcard_table_size": tInt, "port_table_scale_factor": tFloat, "global_vlan": tInt,
	"cache_update_guard_time": tInt, "use_classification": tBool, "egress_pipeline": tBool,
	"strict_packet_in_cookie": tBool, "multi_out": tBool, "lacp_timeout": tInt, "idle_dst": tBool,
	// voipsdn's own: see DP.KeepForeignFlows.
	"keep_foreign_flows": tBool,
}

var tableSizesSchema = schema{
	"port_acl": tInt, "vlan": tInt, "vlan_acl": tInt, "classification": tInt, "eth_src": tInt,
	"ipv4_fib": tInt, "ipv6_fib": tInt, "vip": tInt, "eth_dst_hairpin": tInt, "eth_dst": tInt, "flood": tInt,
}

var dpLLDPSchema = schema{"send_interval": tInt, "max_per_interval": tInt, "system_name": tStr}

var dot1xSchema = schema{
	"nfv_intf": tStr, "nfv_sw_port": tInt, "radius_ip": tStr, "radius_port": tInt,
	"radius_secret": tStr, "auth_acl": tStr, "noauth_acl": tStr,
}

var stackSchema = schema{
	"priority": tInt, "route_learning": tBool, "down_time_multiple": tInt,
	"min_stack_health": tFloat, "min_lacp_health": tFloat,
}

// supportedHardware are the `hardware` values Faucet knows.
var supportedHardware = []string{
	"Allied-Telesis", "Aruba", "CiscoC9K", "Generic", "GenericTFM", "Lagopus",
	"Netronome", "NoviFlow", "Open vSwitch", "ZodiacFX", "ZodiacGX",
}

// dpConf is a parsed DP before cross references are resolved.
type dpConf struct {
	key   *node
	path  string
	index int
	dp    *DP
	o     *obj
	idOK  bool
	ports []*portConf
	// dp_acls names.
	dpACLs    []*node
	stackConf bool
}

func parseDP(e *errList, key, conf *node) *dpConf {
	path := "dps." + key.text()
	if conf.kind != kMap {
		e.add(conf.pos(path), "DP config must be a mapping, not %s", describe(conf))
		return nil
	}
	o := checkObj(e, conf, path, "DP", dpSchema)
	dc := &dpConf{key: key, path: path, o: o}
	dp := &DP{Pos: key.pos(path)}
	dc.dp = dp
	dp.Name = o.str("name", key.text())
	if key.kind != kStr || dp.Name != key.s {
		e.add(key.pos(path), "DP key %s and DP name %s must match (DP keys must be names)", quote(key.text()), quote(dp.Name))
	}
	// dp_id defaults to the key, which then must be a number.
	idNode := o.get("dp_id")
	if idNode == nil && !o.bad["dp_id"] {
		idNode = key
		if o.n.has("dp_id") {
			idNode = o.n.get("dp_id")
			if idNode.isNull() {
				idNode = key
			}
		}
	}
	if idNode != nil {
		switch {
		case !idNode.isInt() && idNode == key:
			e.add(key.pos(join(path, "dp_id")), "dp_id must be an int: it is not set, and the DP key %s is not a number", quote(key.text()))
		case !idNode.isInt():
			e.add(idNode.pos(join(path, "dp_id")), "dp_id must be an int, not %s", describe(idNode))
		case idNode.big != nil && (idNode.big.Sign() < 0 || idNode.big.BitLen() > 64):
			e.add(idNode.pos(join(path, "dp_id")), "DP ID %s not in valid range (0 to 2**64-1)", idNode.text())
		case idNode.big != nil:
			dp.ID = idNode.big.Uint64()
			dc.idOK = true
		default:
			i, _ := idNode.intVal()
			if i < 0 {
				e.add(idNode.pos(join(path, "dp_id")), "DP ID %s not in valid range (0 to 2**64-1)", idNode.text())
			} else {
				dp.ID = uint64(i)
				dc.idOK = true
			}
		}
	}
	dp.PriorityOffset = o.integer("priority_offset", 0)
	dp.LowestPriority = o.integer("lowest_priority", dp.PriorityOffset)
	dp.LowPriority = o.integer("low_priority", dp.PriorityOffset+9000)
	dp.HighPriority = o.integer("high_priority", dp.LowPriority+1)
	dp.HighestPriority = o.integer("highest_priority", dp.HighPriority+98)
	dp.Cookie = 1524372928
	if c := o.get("cookie"); c != nil {
		i, ok := c.intVal()
		if !ok || i < 0 {
			e.add(o.keyPos("cookie"), "cookie must be a 64-bit unsigned int, not %s", c.text())
		} else {
			dp.Cookie = uint64(i)
		}
	}
	dp.Timeout = intRange(e, o, "timeout", 300, 15, 65535, "timeout must be between 15 and 65535")
	dp.Description = o.str("description", dp.Name)
	dp.Hardware = o.str("hardware", "Open vSwitch")
	dp.ARPNeighborTimeout = o.integer("arp_neighbor_timeout", 30)
	dp.NDNeighborTimeout = o.integer("nd_neighbor_timeout", 30)
	for _, nt := range []struct {
		key, name string
		val       int
	}{{"arp_neighbor_timeout", "ARP", dp.ARPNeighborTimeout}, {"nd_neighbor_timeout", "ND", dp.NDNeighborTimeout}} {
		if float64(nt.val) >= float64(dp.Timeout)/2 {
			e.add(o.keyPos(nt.key), "L2 timeout must be > %s timeout * 2 (timeout %d, %s %d)", nt.name, dp.Timeout, nt.key, nt.val)
		} else if nt.val > 65535 {
			e.add(o.keyPos(nt.key), "%s cannot be > 65535", nt.key)
		}
	}
	dp.OFChannelLog = o.str("ofchannel_log", "")
	dp.IgnoreLearnIns = o.integer("ignore_learn_ins", 10)
	dp.DropBroadcastSourceAddress = o.boolean("drop_broadcast_source_address", true)
	dp.DropSpoofedFaucetMAC = o.boolean("drop_spoofed_faucet_mac", true)
	dp.GroupTable = o.boolean("group_table", false)
	dp.KeepForeignFlows = o.boolean("keep_foreign_flows", false)
	dp.MaxHostsPerResolveCycle = o.integer("max_hosts_per_resolve_cycle", 5)
	dp.MaxHostFIBRetryCount = o.integer("max_host_fib_retry_count", 10)
	dp.MaxResolveBackoffTime = o.integer("max_resolve_backoff_time", 64)
	dp.PacketInPPS = o.integer("packetin_pps", 0)
	dp.SlowpathPPS = o.integer("slowpath_pps", 0)
	dp.AdvertiseInterval = o.integer("advertise_interval", 30)
	dp.FastAdvertiseInterval = o.integer("fast_advertise_interval", 5)
	dp.ProactiveLearnV4 = o.boolean("proactive_learn_v4", true)
	dp.ProactiveLearnV6 = o.boolean("proactive_learn_v6", true)
	dp.UseIdleTimeout = o.boolean("use_idle_timeout", false)
	dp.MetricsRateLimitSec = o.integer("metrics_rate_limit_sec", 0)
	dp.FaucetDPMAC = defaultFaucetMAC()
	if m := o.get("faucet_dp_mac"); m != nil {
		mac, ok := parseMAC(m.s)
		if !ok {
			e.add(o.keyPos("faucet_dp_mac"), "invalid MAC address %s", quote(m.s))
		} else {
			dp.FaucetDPMAC = mac
		}
	}
	dp.CombinatorialPortFlood = o.boolean("combinatorial_port_flood", false)
	if dp.CombinatorialPortFlood && dp.GroupTable {
		e.add(o.keyPos("combinatorial_port_flood"), "combinatorial_port_flood and group_table are mutually exclusive")
	}
	dp.LACPTimeout = o.integer("lacp_timeout", 30)
	dp.MinWildcardTableSize = o.integer("min_wildcard_table_size", 32)
	dp.MaxWildcardTableSize = o.integer("max_wildcard_table_size", 1024+256)
	dp.PortTableScaleFactor = o.float("port_table_scale_factor", 1.0)
	dp.GlobalVLAN = uint16(intRange(e, o, "global_vlan", 0, 0, 4095, "global_vlan must be a VID (0-4095)"))
	dp.CacheUpdateGuardTime = o.integer("cache_update_guard_time", 0)
	if dp.CacheUpdateGuardTime == 0 {
		dp.CacheUpdateGuardTime = dp.Timeout / 2
	}
	dp.LearnJitter = o.integer("learn_jitter", 0)
	if dp.LearnJitter == 0 {
		dp.LearnJitter = int(math.Max(math.Sqrt(float64(dp.Timeout))*3, 1))
	}
	dp.LearnBanTimeout = o.integer("learn_ban_timeout", 0)
	if dp.LearnBanTimeout == 0 {
		dp.LearnBanTimeout = dp.LearnJitter
	}
	dp.UseClassification = o.boolean("use_classification", false)
	dp.EgressPipeline = o.boolean("egress_pipeline", false)
	dp.StrictPacketInCookie = o.boolean("strict_packet_in_cookie", true)
	dp.MultiOut = o.boolean("multi_out", true)
	dp.IdleDst = o.boolean("idle_dst", true)

	if ts := o.get("table_sizes"); ts != nil {
		to := checkObj(e, ts, join(path, "table_sizes"), "table_sizes", tableSizesSchema)
		for _, k := range ts.keys {
			if v := to.get(k.s); v != nil {
				if dp.TableSizes == nil {
					dp.TableSizes = map[string]int{}
				}
				dp.TableSizes[k.s] = to.integer(k.s, 0)
			}
		}
	}
	if lb := o.get("lldp_beacon"); lb != nil && truthy(lb) {
		dp.LLDPBeacon = parseDPLLDP(e, lb, join(path, "lldp_beacon"), dp.Name)
	}
	if d := o.get("dot1x"); d != nil && truthy(d) {
		do := checkObj(e, d, join(path, "dot1x"), "dot1x", dot1xSchema)
		dp.Dot1x = &DPDot1x{
			NFVIntf: do.str("nfv_intf", ""), NFVSwPort: uint32(do.integer("nfv_sw_port", 0)),
			RadiusIP: do.str("radius_ip", ""), RadiusPort: do.integer("radius_port", 0),
			RadiusSecret: do.str("radius_secret", ""), AuthACL: do.str("auth_acl", ""),
			NoAuthACL: do.str("noauth_acl", ""),
		}
	}
	stack := &DPStack{DownTimeMultiple: 3, MinStackHealth: 1, MinLACPHealth: 1}
	if s := o.get("stack"); s != nil {
		dc.stackConf = true
		so := checkObj(e, s, join(path, "stack"), "stack", stackSchema)
		stack.Priority = so.integer("priority", 0)
		stack.RouteLearning = so.boolean("route_learning", false)
		stack.DownTimeMultiple = so.integer("down_time_multiple", 3)
		stack.MinStackHealth = so.float("min_stack_health", 1)
		stack.MinLACPHealth = so.float("min_lacp_health", 1)
		if p := so.get("priority"); p != nil {
			if i, _ := p.intVal(); i < 0 {
				e.add(so.keyPos("priority"), "stack priority must be > 0")
			}
		}
	}
	dp.Stack = stack // reset to nil in validation when the DP has no stack ports

	for i, a := range o.list("dp_acls") {
		if a.kind != kStr && !a.isInt() {
			e.add(a.pos(index(join(path, "dp_acls"), i)), "ACL names must be int or str, not %s", describe(a))
			continue
		}
		dc.dpACLs = append(dc.dpACLs, a)
	}

	ifaces, ranges := o.get("interfaces"), o.get("interface_ranges")
	if !truthy(ifaces) && !truthy(ranges) {
		e.add(key.pos(path), "DP %s must have at least one interface", dp.Name)
	}
	dc.ports = parsePorts(e, dc, ifaces, ranges)
	return dc
}

// intRange reads an int key and checks it against [lo, hi].
func intRange(e *errList, o *obj, key string, def, lo, hi int, msg string) int {
	v := o.get(key)
	if v == nil {
		return def
	}
	i, ok := v.intVal()
	if !ok || int64(int(i)) != i || int(i) < lo || int(i) > hi {
		e.add(o.keyPos(key), "%s (got %s)", msg, v.text())
		return def
	}
	return int(i)
}

func parseDPLLDP(e *errList, lb *node, path, dpName string) *DPLLDPBeacon {
	lo := checkObj(e, lb, path, "lldp_beacon", dpLLDPSchema)
	b := &DPLLDPBeacon{
		SendInterval:   lo.integer("send_interval", 5),
		MaxPerInterval: lo.integer("max_per_interval", 5),
		SystemName:     lo.str("system_name", dpName),
	}
	if b.SendInterval < 1 {
		e.add(lo.keyPos("send_interval"), "LLDP beacon send_interval must be at least 1")
	}
	return b
}

// maxPorts bounds the ports interface_ranges may create on one DP, so a
// small config cannot make the controller allocate billions of ports.
const maxPorts = 100000

var (
	rangeRE = regexp.MustCompile(`(\d+)-(\d+)`)
	digitRE = regexp.MustCompile(`\d+`)
)

// parsePorts merges interfaces and interface_ranges as Faucet does: a
// port's own keys win over the range's; ranges create missing ports.
func parsePorts(e *errList, dc *dpConf, ifaces, ranges *node) []*portConf {
	type entry struct {
		key  *node
		conf *node
	}
	byNum := map[nodeKey]*entry{}
	var order []nodeKey
	if ifaces != nil {
		for i, k := range ifaces.keys {
			c := ifaces.vals[i]
			kp := join(dc.path, "interfaces."+k.text())
			if c.kind != kMap {
				e.add(c.pos(kp), "invalid syntax in port config: must be a mapping, not %s", describe(c))
				continue
			}
			num := c.get("number")
			if num == nil || num.isNull() {
				num = k
			}
			id := keyID(num)
			if prev, dup := byNum[id]; dup {
				e.add(k.pos(kp), "port number %s is already configured by interface %s", num.text(), prev.key.text())
				continue
			}
			// Copy, so range defaults can be added without touching the source.
			cp := *c
			cp.keys = append([]*node(nil), c.keys...)
			cp.vals = append([]*node(nil), c.vals...)
			byNum[id] = &entry{k, &cp}
			order = append(order, id)
		}
	}
	if ranges != nil {
		seen := map[int]string{}
		for i, k := range ranges.keys {
			c := ranges.vals[i]
			kp := join(dc.path, "interface_ranges."+k.text())
			if c.kind != kMap {
				e.add(c.pos(kp), "invalid syntax in port config: must be a mapping, not %s", describe(c))
				continue
			}
			nums, msg := rangeNumbers(k.text())
			if msg != "" {
				e.add(k.pos(kp), "%s", msg)
				continue
			}
			for _, n := range nums {
				if other, dup := seen[n]; dup {
					e.add(k.pos(kp), "interface_ranges cannot overlap: port %d is also in %s", n, quote(other))
					goto nextRange
				}
			}
			if len(seen)+len(nums) > maxPorts {
				e.add(k.pos(kp), "interface_ranges configure more than %d ports", maxPorts)
				continue
			}
			for _, n := range nums {
				seen[n] = k.text()
				id := nodeKey{k: kInt, i: int64(n)}
				ent, ok := byNum[id]
				if !ok {
					numNode := &node{kind: kInt, i: int64(n), file: k.file, line: k.line, col: k.col}
					ent = &entry{numNode, &node{kind: kMap, file: k.file, line: k.line, col: k.col}}
					byNum[id] = ent
					order = append(order, id)
				}
				for j, rk := range c.keys {
					if rk.s == "number" || ent.conf.has(rk.s) {
						continue
					}
					ent.conf.keys = append(ent.conf.keys, rk)
					ent.conf.vals = append(ent.conf.vals, c.vals[j])
				}
			}
		nextRange:
		}
	}
	var out []*portConf
	for _, id := range order {
		ent := byNum[id]
		if pc := parsePort(e, dc, ent.key, ent.conf); pc != nil {
			out = append(out, pc)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].port.Number < out[j].port.Number })
	return out
}

// rangeNumbers expands an interface_ranges key such as "1-4,6,port8".
func rangeNumbers(s string) ([]int, string) {
	set := map[int]bool{}
	rest := s
	for _, m := range rangeRE.FindAllStringSubmatch(s, -1) {
		a, err1 := strconv.Atoi(m[1])
		b, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil || a >= b {
			return nil, "incorrect port range (" + m[1] + " - " + m[2] + "): start must be below end"
		}
		if b-a > maxPorts {
			return nil, "port range " + m[0] + " is too large"
		}
		for n := a; n <= b; n++ {
			set[n] = true
		}
		rest = strings.Replace(rest, m[0], "", 1)
	}
	for _, d := range digitRE.FindAllString(rest, -1) {
		n, err := strconv.Atoi(d)
		if err != nil {
			return nil, "invalid port number " + d + " in interface range"
		}
		set[n] = true
	}
	if len(set) == 0 {
		return nil, "interface-ranges contain invalid config: " + quote(s) + " names no port numbers (use e.g. 1-4,6)"
	}
	nums := make([]int, 0, len(set))
	for n := range set {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	return nums, ""
}
