package pipeline

import (
	"net"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Well-known destination MACs (faucet/valve_packet.py).
var (
	macBroadcast       = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	macBridgeGroup     = net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00} // 802.1D and friends
	maskBridgeGroup    = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xf0}
	macCiscoSpanning   = net.HardwareAddr{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd}
	macCiscoCDP        = net.HardwareAddr{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc}
	macSlowProtocols   = net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02}
	macLLDPNearest     = net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}
	macIPv4Multicast   = net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x00}
	macIPv6Multicast   = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x00}
	macIPv6NDMulticast = net.HardwareAddr{0x33, 0x33, 0xff, 0x00, 0x00, 0x00}
	macIPv6AllNodes    = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}
	macIPv6AllRouters  = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x02}
)

// macByteMask returns a mask of n leading 0xff bytes.
func macByteMask(n int) net.HardwareAddr {
	m := make(net.HardwareAddr, 6)
	for i := 0; i < n; i++ {
		m[i] = 0xff
	}
	return m
}

// Packet-in sizes: Faucet's learning flows send 96 bytes; control-plane
// packet-ins (LACP, LLDP) send 128 (valve_of.MAX_PACKET_IN_BYTES).
const (
	learnMaxLen   uint16 = 96
	controlMaxLen uint16 = 128
)

// defaultFlows are the DP-wide flows: a table-miss flow per table, the
// source filters in eth_src and the link-local drops in flood.
func (c *compiler) defaultFlows() error {
	lowest := uint16(c.dp.LowestPriority)
	for _, name := range c.tables.Names() {
		d, _ := c.tables.Decl(name)
		c.e.add(OwnerDP, flowSpec{Table: name, Priority: lowest, Goto: d.Miss})
	}
	c.sourceFilters()
	c.floodFilters()
	return nil
}

// portFlows compiles each port's port_acl and vlan table flows.
func (c *compiler) portFlows() error {
	for _, p := range c.dp.Ports {
		if c.vlanPort(p.Number) == nil {
			continue
		}
		if err := c.portACLFlows(p); err != nil {
			return err
		}
		c.portVLANFlows(p)
	}
	return nil
}

// mirrorActions copies a port's traffic to the ports that mirror it.
func (c *compiler) mirrorActions(p *config.Port) []of13.Action {
	if len(p.MirroredTo) == 0 {
		return nil
	}
	out := make([]of13.Action, 0, len(p.MirroredTo))
	for _, m := range p.MirroredTo {
		out = append(out, of13.Output(m))
	}
	return out
}

// portVLANFlows: tagged frames of the port's tagged VLANs continue as
// they are; untagged frames get the native VLAN's tag; everything else
// (a VID the port does not carry, untagged frames on a port without a
// native VLAN) meets the table-miss drop (Faucet's
// ValveSwitchManager.add_port).
func (c *compiler) portVLANFlows(p *config.Port) {
	owner := PortOwner(p.Number)
	mirror := c.mirrorActions(p)
	for _, v := range p.TaggedVLANs {
		c.e.add(owner, flowSpec{
			Table: TableVLAN, Priority: priorityLow,
			Match: of13.NewMatch(of13.InPort(p.Number), of13.VlanVID(v.VID)),
			Apply: cloneActions(mirror),
			Goto:  c.fromVLANTable(v),
		})
	}
	if v := p.NativeVLAN; v != nil {
		apply := append(cloneActions(mirror), of13.PushVLAN(EthType8021Q), of13.SetVlanVID(v.VID))
		c.e.add(owner, flowSpec{
			Table: TableVLAN, Priority: priorityLow,
			Match: of13.NewMatch(of13.InPort(p.Number), of13.VlanNone()),
			Apply: apply,
			Goto:  c.fromVLANTable(v),
		})
	} else if p.CountUntagVLANMiss {
		// An explicit drop, so that untagged misses are counted per port.
		c.e.add(owner, flowSpec{
			Table: TableVLAN, Priority: priorityLow,
			Match: of13.NewMatch(of13.InPort(p.Number), of13.VlanNone()),
		})
	}
	c.lacpPortFlows(p)
	c.stackPortFlows(p)
	if p.ReceiveLLDP { // ValveLLDPManager.add_port: the bridge group range
		c.e.add(owner, flowSpec{
			Table: TableVLAN, Priority: uint16(c.dp.HighestPriority),
			Match: of13.NewMatch(of13.InPort(p.Number), of13.EthType(EthTypeLLDP),
				of13.MaskedMACField(of13.FieldEthDst, macLLDPNearest, maskBridgeGroup)),
			Apply: []of13.Action{of13.OutputController(controlMaxLen)},
		})
	}
}

// vlanFlows compiles each VLAN's vlan_acl, voip, learning and flood flows.
func (c *compiler) vlanFlows() error {
	for _, v := range c.dp.VLANs {
		owner := VLANOwner(v.VID)
		if err := c.vlanACLFlows(v); err != nil {
			return err
		}
		if c.tables.Has(TableVoIP) {
			// Per-call flows sit above this and continue to the same table.
			next := c.afterVLAN(v)
			c.e.add(owner, flowSpec{
				Table: TableVoIP, Priority: priorityLow,
				Match: of13.NewMatch(of13.VlanVID(v.VID)),
				Goto:  next,
			})
			id, _ := c.tables.ID(next)
			c.prog.voipNext[v.VID] = id
			c.addressFlows(v, next)
		}
		c.unknownSourceFlow(v)
		if err := c.floodFlows(v); err != nil {
			return err
		}
	}
	return nil
}

func cloneActions(as []of13.Action) []of13.Action {
	if len(as) == 0 {
		return nil
	}
	return append([]of13.Action(nil), as...)
}

// addressFlows copy ARP and neighbour discovery to the controller as they
// pass the voip table. Voice QoS must find a call's endpoints by IP
// address, but learning sees a host only until its MAC is known, often
// from an IPv6 multicast report that carries no usable address; these
// copies keep the IP-to-port map current. They are rate-limited with the
// other control-plane packet-ins, and the packets continue unchanged.
func (c *compiler) addressFlows(v *config.VLAN, next string) {
	owner := VLANOwner(v.VID)
	copyAndGo := []of13.Action{of13.OutputController(addressCopyLen)}
	base := of13.NewMatch(of13.VlanVID(v.VID))
	c.e.add(owner, flowSpec{
		Table: TableVoIP, Priority: priorityLow + 1,
		Match: base.With(of13.EthType(EthTypeARP)),
		Apply: copyAndGo, Goto: next,
	})
	for _, typ := range []uint8{ICMPv6NeighborSolicit, ICMPv6NeighborAdvert} {
		c.e.add(owner, flowSpec{
			Table: TableVoIP, Priority: priorityLow + 1,
			Match: base.With(of13.EthType(EthTypeIPv6)).With(of13.IPProto(IPProtoICMPv6)).
				With(of13.UintField(of13.FieldICMPv6Type, uint64(typ))),
			Apply: copyAndGo, Goto: next,
		})
	}
}

// addressCopyLen is enough of an ARP or ND packet for its addresses.
const addressCopyLen = 128
