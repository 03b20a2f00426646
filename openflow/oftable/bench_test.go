package oftable

import (
	"net"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// benchPipeline builds a Faucet-sized pipeline: VLAN admission, a source
// MAC table and a destination MAC table with hosts learned on 48 ports.
func benchPipeline(b *testing.B, hosts int) *Table {
	tbl := New(Config{NumTables: 4})
	var fs []of13.Flow
	for p := uint32(1); p <= 48; p++ {
		fs = append(fs, flow(0, 9000, of13.NewMatch(of13.InPort(p), of13.VlanNone()),
			applyGoto(1, of13.PushVLAN(0x8100), of13.SetVlanVID(100))))
	}
	for h := range hosts {
		mac := net.HardwareAddr{0x0e, 0, 0, 0, byte(h >> 8), byte(h)}
		port := uint32(1 + h%48)
		fs = append(fs,
			flow(1, 8191, of13.NewMatch(of13.InPort(port), of13.VlanVID(100), of13.EthSrc(mac)), of13.Goto(2)),
			flow(2, 8192, of13.NewMatch(of13.VlanVID(100), of13.EthDst(mac)), apply(of13.PopVLAN(), of13.Output(port))))
	}
	fs = append(fs, flow(1, 0, nil, apply(of13.OutputController(128))),
		flow(2, 0, nil, apply(of13.Output(of13.PortFlood))))
	if err := tbl.AddFlows(fs...); err != nil {
		b.Fatal(err)
	}
	return tbl
}

func BenchmarkTrace(b *testing.B) {
	tbl := benchPipeline(b, 1000)
	p := Packet{InPort: 5, EthSrc: net.HardwareAddr{0x0e, 0, 0, 0, 0, 4}, EthDst: net.HardwareAddr{0x0e, 0, 0, 0, 3, 0xe7},
		EthType: EthTypeIPv4}
	if o := tbl.Outputs(p); len(o) != 1 || o[0].Port != 1+999%48 {
		b.Fatalf("outputs %v", o)
	}
	b.ReportAllocs()
	for b.Loop() {
		tbl.Trace(p)
	}
}

func BenchmarkApplyFlowModAdd(b *testing.B) {
	tbl := benchPipeline(b, 5000) // ~10,000 flows
	f := flow(2, 8192, of13.NewMatch(of13.VlanVID(100), of13.EthDst(MAC("0e:ff:00:00:00:01"))), apply(of13.PopVLAN(), of13.Output(3)))
	fm := of13.AddFlow(f)
	del := of13.DeleteStrict(f)
	b.ReportAllocs()
	for b.Loop() {
		if err := tbl.ApplyFlowMod(fm); err != nil {
			b.Fatal(err)
		}
		if err := tbl.ApplyFlowMod(del); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApplyFlowModReplace(b *testing.B) {
	tbl := benchPipeline(b, 5000)
	f := flow(2, 8192, of13.NewMatch(of13.VlanVID(100), of13.EthDst(net.HardwareAddr{0x0e, 0, 0, 0, 0, 7})), apply(of13.PopVLAN(), of13.Output(8)))
	fm := of13.AddFlow(f)
	b.ReportAllocs()
	for b.Loop() {
		if err := tbl.ApplyFlowMod(fm); err != nil {
			b.Fatal(err)
		}
	}
}
