package wire

import (
	"bytes"
	"testing"

	"github.com/netrack/openflow/ofp"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// BenchmarkNetrackFlowMod encodes the flow-mod of BenchmarkAppendFlowMod's
// shape (4 match fields, meter + 3 apply actions) with netrack, for the
// comparison in docs/openflow.md.
func BenchmarkNetrackFlowMod(b *testing.B) {
	fm := of13.AddFlow(testFlows()[3])
	xm := func(t ofp.XMType, v []byte) ofp.XM {
		return ofp.XM{Class: ofp.XMClassOpenflowBasic, Type: t, Value: v}
	}
	nfm := &ofp.FlowMod{Table: ofp.Table(fm.Table), Priority: fm.Priority, Buffer: 0xffffffff,
		OutPort: ofp.PortAny, OutGroup: ofp.GroupAny,
		Match: ofp.Match{Type: ofp.MatchTypeXM, Fields: []ofp.XM{
			xm(ofp.XMTypeEthType, []byte{8, 0}), xm(ofp.XMTypeIPProto, []byte{17}),
			{Class: ofp.XMClassOpenflowBasic, Type: ofp.XMTypeIPv4Dst, Value: []byte{10, 0, 0, 0}, Mask: []byte{255, 255, 255, 0}},
			xm(ofp.XMTypeUDPDst, []byte{0x13, 0xc4})}},
		Instructions: ofp.Instructions{
			&ofp.InstructionMeter{Meter: 1},
			&ofp.InstructionApplyActions{Actions: ofp.Actions{
				&ofp.ActionSetField{Field: xm(ofp.XMTypeIPDSCP, []byte{46})},
				&ofp.ActionSetQueue{QueueID: 1},
				&ofp.ActionOutput{Port: 4}}}}}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := nfm.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
