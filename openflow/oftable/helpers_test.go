package oftable

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

var (
	macA = MAC("0e:00:00:00:00:01")
	macB = MAC("0e:00:00:00:00:02")
)

func udpPkt(inPort uint32, vlans ...VLAN) Packet {
	return Packet{
		InPort: inPort, EthSrc: macA, EthDst: macB, VLANs: vlans, EthType: EthTypeIPv4,
		IPSrc: netip.MustParseAddr("10.0.0.1"), IPDst: netip.MustParseAddr("10.0.0.2"),
		IPProto: ProtoUDP, TTL: 64, L4Src: 10000, L4Dst: 20000,
	}
}

func tag(vid uint16) VLAN { return VLAN{TPID: EthTypeVLAN, VID: vid} }

func mustApply(t *testing.T, tbl *Table, msgs ...of13.Message) {
	t.Helper()
	if err := tbl.Apply(msgs...); err != nil {
		t.Fatal(err)
	}
}

func mustAdd(t *testing.T, tbl *Table, flows ...of13.Flow) {
	t.Helper()
	if err := tbl.AddFlows(flows...); err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err error, want Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %s/%s", err, want.TypeName(), want.CodeName())
	}
	var e Error
	if !errors.As(err, &e) || e.Detail == "" {
		t.Fatalf("error %v should carry an Error with detail", err)
	}
	// Code written against a real switch's errors sees the same error.
	var ofe *of13.Error
	if !errors.As(err, &ofe) || ofe.Type != want.Type || ofe.Code != want.Code ||
		!errors.Is(err, &of13.Error{Type: want.Type, Code: want.Code}) {
		t.Fatalf("error %v does not unwrap to *of13.Error %v", err, ofe)
	}
}

func flow(table uint8, prio uint16, m of13.Match, in of13.Instructions) of13.Flow {
	return of13.Flow{Table: table, Priority: prio, Match: m, Instr: in}
}

func apply(as ...of13.Action) of13.Instructions { return of13.ApplyActions(as...) }

func applyGoto(next uint8, as ...of13.Action) of13.Instructions {
	return of13.Instructions{Apply: as, HasGoto: true, GotoTable: next}
}

// outs summarises outputs as port/vid pairs for compact assertions.
func outs(os []Out) [][2]uint32 {
	var r [][2]uint32
	for _, o := range os {
		r = append(r, [2]uint32{o.Port, uint32(o.VID())})
	}
	return r
}
