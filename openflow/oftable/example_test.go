package oftable_test

import (
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// A two-table pipeline: port 1 is an untagged member of VLAN 100, port 2 a
// tagged one. A frame from port 1 leaves port 2 tagged.
func Example() {
	tbl := oftable.New(oftable.Config{NumTables: 2})
	err := tbl.AddFlows(
		of13.Flow{Table: 0, Priority: 9000, Match: of13.NewMatch(of13.InPort(1), of13.VlanNone()),
			Instr: of13.Instructions{Apply: []of13.Action{of13.PushVLAN(0x8100), of13.SetVlanVID(100)}, HasGoto: true, GotoTable: 1}},
		of13.Flow{Table: 1, Priority: 8192, Match: of13.NewMatch(of13.VlanVID(100)),
			Instr: of13.ApplyActions(of13.Output(2))},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	pkt := oftable.Packet{InPort: 1, EthSrc: oftable.MAC("0e:00:00:00:00:01"),
		EthDst: oftable.MAC("0e:00:00:00:00:02"), EthType: 0x0806, ARPOp: 1}
	for _, o := range tbl.Outputs(pkt) {
		fmt.Printf("port %d vid %#x\n", o.Port, o.VID())
	}
	fmt.Println(tbl.IsOutput(pkt, 2, 100|of13.OXMVlanPresent), tbl.IsOutput(pkt, 2, 0))

	// A goto backwards is rejected as a switch would.
	err = tbl.ApplyFlowMod(of13.AddFlow(of13.Flow{Table: 1, Instr: of13.Goto(0)}))
	fmt.Println(err)
	// Output:
	// port 2 vid 0x1064
	// true false
	// add table=1,priority=0: OFPET_BAD_INSTRUCTION/OFPBIC_BAD_TABLE_ID: goto_table:0 from table 1 does not go forward
}
