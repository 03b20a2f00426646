package controller

import (
	"net"
	"net/netip"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// sampleFlows covers the matches and instructions voipsdn's pipeline uses,
// including the forms switches normalise (VLAN present bit, masks, empty
// action lists). They need meter 1 and group 1 to exist.
func sampleFlows() []of13.Flow {
	mac := net.HardwareAddr{0x0e, 0, 0, 0, 0, 1}
	return []of13.Flow{
		{Table: 0, Priority: 0}, // drop
		{Table: 0, Priority: 100, Cookie: 0x5adc15c0, Match: of13.NewMatch(of13.InPort(1), of13.VlanNone()),
			Instr: of13.Instructions{Apply: []of13.Action{of13.PushVLAN(0x8100), of13.SetVlanVID(100)}, HasGoto: true, GotoTable: 1}},
		{Table: 0, Priority: 101, Match: of13.NewMatch(of13.InPort(2), of13.VlanVID(200)), Instr: of13.Goto(1)},
		{Table: 0, Priority: 102, Match: of13.NewMatch(of13.InPort(3), of13.VlanAny()), Instr: of13.Instructions{}},
		{Table: 1, Priority: 9000, IdleTimeout: 300, HardTimeout: 600, Flags: of13.FlagSendFlowRem,
			Match: of13.NewMatch(of13.VlanVID(100), of13.EthSrc(mac)),
			Instr: of13.Instructions{Metadata: 0x10, MetadataMask: 0xff, HasGoto: true, GotoTable: 2}},
		{Table: 1, Priority: 1, Match: of13.NewMatch(of13.MaskedMACField(of13.FieldEthDst, net.HardwareAddr{1, 0, 0, 0, 0, 0}, net.HardwareAddr{1, 0, 0, 0, 0, 0})),
			Instr: of13.ApplyActions(of13.OutputController(128))},
		{Table: 2, Priority: 20480, Match: of13.NewMatch(of13.EthType(0x0800), of13.IPProto(17),
			of13.PrefixField(of13.FieldIPv4Dst, netip.MustParsePrefix("10.0.0.0/24")), of13.PortField(of13.FieldUDPDst, 5060)),
			Instr: of13.Instructions{Meter: 1, Apply: []of13.Action{of13.SetDSCP(46), of13.SetQueue(1), of13.Output(4)}}},
		{Table: 2, Priority: 20481, Match: of13.NewMatch(of13.EthType(0x0800), of13.IPProto(17),
			of13.MaskedPortField(of13.FieldUDPSrc, 16384, 0xc000)),
			Instr: of13.Instructions{ClearActions: true, Write: []of13.Action{of13.Output(2)}, HasGoto: true, GotoTable: 3}},
		{Table: 2, Priority: 20482, Match: of13.NewMatch(of13.EthType(0x86dd), of13.IPProto(58),
			of13.PrefixField(of13.FieldIPv6Src, netip.MustParsePrefix("fc00::/64")), of13.UintField(of13.FieldICMPv6Type, 135),
			of13.AddrField(of13.FieldIPv6NDTarget, netip.MustParseAddr("fc00::1"))),
			Instr: of13.ApplyActions(of13.Output(of13.PortController))},
		{Table: 3, Priority: 5, Match: of13.NewMatch(of13.EthType(0x0800), of13.AddrField(of13.FieldIPv4Src, netip.MustParseAddr("10.0.0.5"))),
			Instr: of13.ApplyActions(of13.DecNwTTL(), of13.SetField(of13.MACField(of13.FieldEthDst, mac)), of13.GroupAction(1))},
		{Table: 3, Priority: 6, Match: of13.NewMatch(of13.Metadata(0x10, 0xf0), of13.VlanAny(), of13.EthType(0x0806), of13.UintField(of13.FieldARPOp, 1)),
			Instr: of13.ApplyActions(of13.PopVLAN(), of13.Output(of13.PortFlood))},
	}
}

// sampleMeter and sampleGroup are what sampleFlows refer to.
func sampleMeter() of13.MeterMod {
	return of13.MeterMod{Command: of13.ModAdd, Meter: of13.Meter{ID: 1, Flags: of13.MeterKbps | of13.MeterStats,
		Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 1000}}}}
}

func sampleGroup() of13.GroupMod {
	return of13.GroupMod{Command: of13.ModAdd, Group: of13.Group{ID: 1, Type: of13.GroupTypeAll,
		Buckets: []of13.Bucket{{Actions: []of13.Action{of13.Output(1)}}, {Actions: []of13.Action{of13.PopVLAN(), of13.Output(2)}}}}}
}

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
