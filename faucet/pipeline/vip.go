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

// noBufferLen asks the switch for the whole packet: ICMP echo requests are
// answered with their full payload, so they must not be truncated.
const noBufferLen uint16 = 0xffff

// vipFlows compiles the routing entry points of every VLAN with
// faucet_vips, after Faucet's ValveRouteManager.add_faucet_vip: packets to
// the Faucet MAC go to the FIB; the FIB sends packets for the VIPs and,
// on every VLAN routed with it, for its connected subnets to the vip
// table; the vip table punts ARP for the VIPs, ND, ICMP to the Faucet
// MAC and packets for unresolved hosts to the controller.
func (c *compiler) vipFlows() error {
	seen := map[string]bool{}
	for _, v := range c.dp.VLANs {
		if len(v.FaucetVIPs) == 0 || len(v.FaucetMAC) != 6 {
			continue
		}
		owner := VIPOwner(v.VID)
		has4, has6 := false, false
		for _, vip := range v.FaucetVIPs {
			if vip.Addr().Is4() {
				has4 = true
				c.vip4(owner, v, vip, seen)
			} else {
				has6 = true
				c.vip6(owner, v, vip, seen)
			}
		}
		if has4 {
			c.selectRouted(owner, v, EthTypeIPv4, TableIPv4FIB, seen)
			c.vipPunts(v.FaucetMAC, EthTypeIPv4, IPProtoICMP, 32, seen)
			// ARP all goes through the vip table, so requests for the
			// VIPs reach the controller whatever their destination MAC.
			c.addOnce(seen, owner, flowSpec{
				Table: TableEthSrc, Priority: priorityLPM + 32,
				Match: of13.NewMatch(of13.EthType(EthTypeARP), of13.VlanVID(v.VID)),
				Goto:  TableVIP,
			})
			c.addOnce(seen, OwnerVIP, flowSpec{
				Table: TableVIP, Priority: priorityLPM + 32,
				Match: of13.NewMatch(of13.EthType(EthTypeARP)),
				Goto:  c.outputTable(),
			})
		}
		if has6 {
			c.selectRouted(owner, v, EthTypeIPv6, TableIPv6FIB, seen)
			c.vipPunts(v.FaucetMAC, EthTypeIPv6, IPProtoICMPv6, 128, seen)
		}
	}
	return nil
}

// addOnce emits s unless an identical flow was already emitted in this
// compilation (VLANs sharing a Faucet MAC or a routed subnet).
func (c *compiler) addOnce(seen map[string]bool, owner string, s flowSpec) {
	k := s.Table + "/" + strconv.Itoa(int(s.Priority)) + "/" + s.Match.String()
	if seen[k] {
		return
	}
	seen[k] = true
	c.e.add(owner, s)
}

// selectRouted sends v's packets to its Faucet MAC to the FIB.
func (c *compiler) selectRouted(owner string, v *config.VLAN, ethType uint16, fib string, seen map[string]bool) {
	c.addOnce(seen, owner, flowSpec{
		Table: TableEthSrc, Priority: priorityLPM,
		Match: of13.NewMatch(of13.EthType(ethType), of13.EthDst(v.FaucetMAC), of13.VlanVID(v.VID)),
		Goto:  fib,
	})
}

// vipPunts are the vip table's catch-alls for packets to a Faucet MAC:
// ICMP (echo to a VIP, or to a host being resolved) whole, and other IP,
// which reached the vip table through a connected subnet's FIB flow, so
// its destination needs resolving (Faucet's proactive learning).
func (c *compiler) vipPunts(mac net.HardwareAddr, ethType uint16, icmp uint8, maxBits int, seen map[string]bool) {
	prio := priorityLPM + uint16(maxBits)
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: prio - 1,
		Match: of13.NewMatch(of13.EthType(ethType), of13.EthDst(mac), of13.IPProto(icmp)),
		Apply: []of13.Action{of13.OutputController(noBufferLen)},
	})
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: prio - 3,
		Match: of13.NewMatch(of13.EthType(ethType), of13.EthDst(mac)),
		Apply: []of13.Action{of13.OutputController(learnMaxLen)},
	})
}

// vip4 is one IPv4 VIP: ARP for it to the controller, and its host and
// subnet FIB flows.
func (c *compiler) vip4(owner string, v *config.VLAN, vip netip.Prefix, seen map[string]bool) {
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: priorityLPM + 33,
		Match: of13.NewMatch(of13.EthType(EthTypeARP), of13.AddrField(of13.FieldARPTPA, vip.Addr())),
		Apply: []of13.Action{of13.OutputController(controlMaxLen)},
	})
	c.fibToVIP(owner, v, vip, EthTypeIPv4, TableIPv4FIB, of13.FieldIPv4Dst, seen)
}

// vip6 is one IPv6 VIP: neighbour solicitations to its solicited-node
// group go to the controller (and are flooded, other hosts may share the
// group), and its host and subnet FIB flows.
func (c *compiler) vip6(owner string, v *config.VLAN, vip netip.Prefix, seen map[string]bool) {
	snIP, snMAC := solicitedNode(vip.Addr())
	c.addOnce(seen, owner, flowSpec{
		Table: TableEthSrc, Priority: priorityLPM,
		Match: of13.NewMatch(of13.EthType(EthTypeIPv6), of13.EthDst(snMAC), of13.VlanVID(v.VID)),
		Goto:  TableIPv6FIB,
	})
	c.addOnce(seen, owner, flowSpec{
		Table: TableIPv6FIB, Priority: priorityLPM + 128,
		Match: of13.NewMatch(of13.EthType(EthTypeIPv6), of13.VlanVID(v.VID),
			of13.PrefixField(of13.FieldIPv6Dst, netip.PrefixFrom(snIP, 128))),
		Goto: TableVIP,
	})
	c.addOnce(seen, OwnerVIP, flowSpec{
		Table: TableVIP, Priority: priorityLPM + 128,
		Match: of13.NewMatch(of13.EthType(EthTypeIPv6), of13.EthDst(snMAC), of13.IPProto(IPProtoICMPv6),
			of13.UintField(of13.FieldICMPv6Type, uint64(ICMPv6NeighborSolicit))),
		Apply: []of13.Action{of13.OutputController(controlMaxLen)},
		Goto:  TableFlood,
	})
	c.fibToVIP(owner, v, vip, EthTypeIPv6, TableIPv6FIB, of13.FieldIPv6Dst, seen)
}

// fibToVIP sends packets for the VIP itself, and for its subnet from
// every VLAN routed with v, to the vip table.
func (c *compiler) fibToVIP(owner string, v *config.VLAN, vip netip.Prefix, ethType uint16, fib string, dst of13.Field, seen map[string]bool) {
	host := netip.PrefixFrom(vip.Addr(), vip.Addr().BitLen())
	c.addOnce(seen, owner, flowSpec{
		Table: fib, Priority: priorityLPM + uint16(host.Bits()),
		Match: of13.NewMatch(of13.EthType(ethType), of13.VlanVID(v.VID), of13.PrefixField(dst, host)),
		Goto:  TableVIP,
	})
	for _, r := range routedVLANs(c.dp, v) {
		if !hasVIPFamily(r, vip.Addr().Is4()) {
			continue
		}
		c.addOnce(seen, owner, flowSpec{
			Table: fib, Priority: priorityLPM + uint16(vip.Bits()),
			Match: of13.NewMatch(of13.EthType(ethType), of13.VlanVID(r.VID), of13.PrefixField(dst, vip.Masked())),
			Goto:  TableVIP,
		})
	}
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
