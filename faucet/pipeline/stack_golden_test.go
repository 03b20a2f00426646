package pipeline

import (
	"testing"

	"github.com/voipsdn/voipsdn/faucet/stack"
)

// TestStackTablesEqualFaucetOnOVS compares voipsdn's vlan, eth_src and
// flood tables for the ring of three with Faucet's (testdata/stack-*.flows,
// written from Faucet's source) on Open vSwitch: the root and a non-root
// DP with every link up, and a DP with a pruned port after a link cut.
func TestStackTablesEqualFaucetOnOVS(t *testing.T) {
	f := newFabric(t, "../stack/testdata/ring3.yaml")
	ovs := startOVS(t, []uint32{1, 2, 3})
	check := func(dp, golden string) {
		t.Helper()
		p := compileOrFail(t, f.sw[dp].dp, f.sw[dp].learned)
		ovs.replace(p)
		ovs.compareTables(p, golden, TableVLAN, TableEthSrc, TableFlood)
	}
	ovs.load(compileOrFail(t, f.sw["s1"].dp, f.sw["s1"].learned))
	check("s1", "stack-s1.flows")
	check("s2", "stack-s2.flows")
	f.cut(stack.End{DP: "s1", Port: 3})
	check("s3", "stack-s3-cut.flows")
}
