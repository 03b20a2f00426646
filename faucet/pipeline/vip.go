package pipeline

import (
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// OwnerVIP owns the vip table's flows. They match no VLAN, and VLANs
// usually share one Faucet MAC, so they are kept under one owner and
// emitted once however many VLANs need them.
const OwnerVIP = "vip"

// VIPOwner is the owner key of a VLAN's routing entry points: the eth_src
// flows that select its routed and ARP/ND packets and its FIB flows to the
// VIPs and connected subnets.
func VIPOwner(vid uint16) string { return "vip:" + strconv.Itoa(int(vid)) }

// Packet-in lengths of the routing flows, as Faucet's valve_packet.py
// sizes them: a tagged ARP packet (VLAN_ARP_PKT_SIZE), a tagged ICMP echo
// request with 128 bytes of payload (VLAN_ICMP_ECHO_REQ_SIZE) and its IPv6
// twin, which is also the largest packet-in Faucet asks for
// (VLAN_ICMP6_ECHO_REQ_SIZE, valve_of.MAX_PACKET_IN_BYTES). Longer echo
// requests arrive truncated and go unanswered, as in Faucet.
const (
	arpMaxLen   uint16 = 18 + 46
	icmp4MaxLen uint16 = 18 + 20 + 8 + 128
	icmp6MaxLen uint16 = 18 + 40 + 8 + 128
	routeMaxLen        = icmp6MaxLen
)

// allRoutersMAC is the Ethernet group of ff02::2, where hosts send router
// solicitations (RFC 2464 §7).
var allRoutersMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 2}

// vipFlows compiles the routing entry points of every VLAN with
// faucet_vips, flow for flow as Faucet's ValveIPv4RouteManager and
// ValveIPv6RouteManager.add_vlan do (_add_faucet_vip_nd, then
// _add_faucet_fib_to_vip, for each VIP): eth_src selects ARP, ND for the
// VIPs and packets to the Faucet MAC at priority 0x4000 (ValvePipeline.
// select_packets); the FIB sends the VIPs and the connected subnets to the
// vip table, which punts ARP, ND, router solicitations, ICMP and packets
// for unresolved hosts to the controller.
func (c *compiler) vipFlows() error {
	seen := map[string]bool{}
	for _, v := range c.dp.VLANs {
		if len(v.FaucetVIPs) == 0 || len(v.FaucetMAC) != 6 {
			continue
		}
		owner := VIPOwner(v.VID)
		for _, vip := range v.FaucetVIPs {
			if vip.Addr().Is4() {
				c.vipND4(owner, v, vip, seen)
			} else {
				c.vipND6(owner, v, vip, seen)
			}
			c.fibToVIP(owner, v, vip, seen)
		}
	}
	return nil
}

// addOnce emits s unless an identical flow was already emitted in this
// compilation (VLANs sharing a Faucet MAC or a routed subnet), as the
// switch would replace Faucet's repeated flow-mod.
func (c *compiler) addOnce(seen map[string]bool, owner string, s flowSpec) {
	k := s.Table + "/" + strconv.Itoa(int(s.Priority)) + "/" + s.Match.String()
	if seen[k] {
		return
	}
	seen[k] = true
	c.e.add(owner, s)
}

// selectPackets sends v's packets matching m from eth_src to table, at
// Faucet's select priority (ValvePipeline.select_packets).
func (c *compiler) selectPackets(owner string, v *config.VLAN, m of13.Match, table string, seen map[string]bool) {
	c.addOnce(seen, owner, flowSpec{
		Table: TableEthSrc, Priority: priorityHigh,
		Match: m.With(of13.VlanVID(v.VID)),
		Goto:  table,
	})
}

// toController punts a packet to the controller, max bytes of it
// (ValveTable.flowcontroller).
func toController(max uint16) []of13.Action {
	return []of13.Action{of13.OutputController(max)}
}

// vipPriority is the priority of a VIP's own flows: the LPM base plus its
// family's address length (ValveRouteManager.add_vlan).
func vipPriority(vip netip.Prefix) uint16 { return priorityLPM + uint16(vip.Addr().BitLen()) }

// vipND4 is ValveIPv4RouteManager._add_faucet_vip_nd: the VLAN's ARP goes
// to the vip table, where requests for the VIP (broadcast) and all ARP to
// the Faucet MAC (replies to its probes) reach the controller and other
// ARP is switched.
func (c *compiler) vipND4(owner string, v *config.VLAN, vip netip.Prefix, seen map[string]bool) {
	prio := vipPriority(vip)
	c.selectPackets(owner, v, of13.NewMatch(of13.EthType(EthTypeARP)), TableVIP, seen)
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: prio,
		Match: of13.NewMatch(of13.EthType(EthTypeARP), of13.EthDst(macBroadcast),
			of13.AddrField(of13.FieldARPTPA, vip.Addr())),
		Apply: toController(arpMaxLen),
	})
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: prio,
		Match: of13.NewMatch(of13.EthType(EthTypeARP), of13.EthDst(v.FaucetMAC)),
		Apply: toController(arpMaxLen),
	})
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: prio - 1,
		Match: of13.NewMatch(of13.EthType(EthTypeARP)),
		Goto:  c.outputTable(),
	})
}

// vipND6 is ValveIPv6RouteManager._add_faucet_vip_nd: router
// solicitations when the VIP is link-local (they are answered from it),
// echo requests and neighbour advertisements to the Faucet MAC, and
// neighbour solicitations to the VIP's solicited-node group, which also
// reach the other hosts of the group.
func (c *compiler) vipND6(owner string, v *config.VLAN, vip netip.Prefix, seen map[string]bool) {
	prio := vipPriority(vip)
	icmp6 := func(dst net.HardwareAddr, typ uint8) of13.Match {
		return of13.NewMatch(of13.EthType(EthTypeIPv6), of13.EthDst(dst), of13.IPProto(IPProtoICMPv6),
			of13.UintField(of13.FieldICMPv6Type, uint64(typ)))
	}
	if vip.Addr().IsLinkLocalUnicast() {
		c.selectPackets(owner, v, of13.NewMatch(of13.EthType(EthTypeIPv6), of13.EthDst(allRoutersMAC)), TableVIP, seen)
		c.addOnce(seen, OwnerVIP, flowSpec{
			Table: TableVIP, Priority: prio,
			Match: icmp6(allRoutersMAC, ICMPv6RouterSolicit),
			Apply: toController(routeMaxLen),
			Goto:  c.outputTable(),
		})
	}
	for _, typ := range []uint8{ICMPv6EchoRequest, ICMPv6NeighborAdvert} {
		c.addOnce(seen, OwnerVIP, flowSpec{
			Table: TableVIP, Priority: prio,
			Match: icmp6(v.FaucetMAC, typ),
			Apply: toController(icmp6MaxLen),
		})
	}
	_, snMAC := solicitedNode(vip.Addr())
	c.selectPackets(owner, v, of13.NewMatch(of13.EthType(EthTypeIPv6), of13.EthDst(snMAC)), TableVIP, seen)
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: prio,
		Match: icmp6(snMAC, ICMPv6NeighborSolicit),
		Apply: toController(routeMaxLen),
		Goto:  c.outputTable(),
	})
}

// fibToVIP is ValveRouteManager._add_faucet_fib_to_vip (and the IPv6
// override): packets to the Faucet MAC go to the FIB, which sends the VIP
// itself to the vip table; with proactive learning (not for link-local
// VIPs) the connected subnet goes there too from every routed VLAN, and
// the vip table punts ICMP and packets for hosts still to be resolved.
// IPv6 also sends the subnet's last address to the vip table.
func (c *compiler) fibToVIP(owner string, v *config.VLAN, vip netip.Prefix, seen map[string]bool) {
	v4 := vip.Addr().Is4()
	ethType, fib, dst, icmp, proactive := EthTypeIPv4, TableIPv4FIB, of13.FieldIPv4Dst, IPProtoICMP, c.dp.ProactiveLearnV4
	icmpLen := icmp4MaxLen
	if !v4 {
		ethType, fib, dst, icmp, proactive = EthTypeIPv6, TableIPv6FIB, of13.FieldIPv6Dst, IPProtoICMPv6, c.dp.ProactiveLearnV6
		icmpLen = icmp6MaxLen
	}
	prio := vipPriority(vip)
	c.selectPackets(owner, v, of13.NewMatch(of13.EthType(ethType), of13.EthDst(v.FaucetMAC)), fib, seen)
	fibFlow := func(vid uint16, p netip.Prefix, prio uint16) {
		c.addOnce(seen, owner, flowSpec{
			Table: fib, Priority: prio,
			Match: of13.NewMatch(of13.EthType(ethType), of13.VlanVID(vid), of13.PrefixField(dst, p)),
			Goto:  TableVIP,
		})
	}
	fibFlow(v.VID, netip.PrefixFrom(vip.Addr(), vip.Addr().BitLen()), prio)
	if proactive && !vip.Addr().IsLinkLocalUnicast() {
		for _, r := range routedVLANs(c.dp, v) {
			fibFlow(r.VID, vip.Masked(), priorityLPM+uint16(vip.Bits()))
		}
		base := of13.NewMatch(of13.EthType(ethType))
		toUs := base.With(of13.EthDst(v.FaucetMAC))
		for i, f := range []struct {
			m     of13.Match
			max   uint16
			flood bool
		}{
			{toUs.With(of13.IPProto(icmp)), icmpLen, false},    // ICMP to us
			{base.With(of13.IPProto(icmp)), routeMaxLen, true}, // other ICMP: learn and switch
			{toUs, routeMaxLen, false},                         // other IP to us: learn
			{base, routeMaxLen, true},                          // other IP: learn and switch
		} {
			s := flowSpec{Table: TableVIP, Priority: prio - 1 - uint16(i), Match: f.m, Apply: toController(f.max)}
			if f.flood {
				s.Goto = c.outputTable()
			}
			c.addOnce(seen, OwnerVIP, s)
		}
	}
	if !v4 {
		fibFlow(v.VID, netip.PrefixFrom(lastAddr(vip.Masked()), 128), prio)
	}
}

// lastAddr is the highest address of p (Python's broadcast_address, which
// Faucet sends to the vip table for IPv6 subnets).
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As16()
	for i := p.Bits(); i < 128; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(a)
}

// routedVLANs is v and every VLAN a router joins it with (Faucet's
// _routed_vlans), in DP order.
func routedVLANs(dp *config.DP, v *config.VLAN) []*config.VLAN {
	in := map[uint16]bool{v.VID: true}
	for _, r := range dp.Routers {
		if !slices.ContainsFunc(r.VLANs, func(x *config.VLAN) bool { return x.VID == v.VID }) {
			continue
		}
		for _, x := range r.VLANs {
			in[x.VID] = true
		}
	}
	var out []*config.VLAN
	for _, x := range dp.VLANs {
		if in[x.VID] {
			out = append(out, x)
		}
	}
	return out
}

func hasVIPFamily(v *config.VLAN, v4 bool) bool {
	return slices.ContainsFunc(v.FaucetVIPs, func(p netip.Prefix) bool { return p.Addr().Is4() == v4 })
}

// solicitedNode returns ip's solicited-node multicast address and MAC
// (RFC 4291 §2.7.1, RFC 2464 §7).
func solicitedNode(ip netip.Addr) (netip.Addr, net.HardwareAddr) {
	a := ip.As16()
	sn := [16]byte{0: 0xff, 1: 0x02, 11: 0x01, 12: 0xff, 13: a[13], 14: a[14], 15: a[15]}
	return netip.AddrFrom16(sn), net.HardwareAddr{0x33, 0x33, 0xff, a[13], a[14], a[15]}
}
