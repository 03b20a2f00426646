package pipeline_test

import (
	"fmt"
	"net"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

func Example() {
	cfg, err := config.LoadFileBytes("faucet.yaml", []byte(`
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	dp := cfg.DP("sw1")
	learned := pipeline.NewLearned(pipeline.OptionsFor(cfg, dp)...)

	// A packet-in from an unknown host: learn it and install its owner's flows.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res := learned.Learn(now, dp, 1, 100, net.HardwareAddr{0, 0, 0, 0, 0, 1})
	fmt.Println(res.Outcome, res.Owner, len(res.Flows))

	// A reload recompiles everything, learned hosts included.
	prog, err := pipeline.Compile(dp, learned)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(prog.Tables.Names())
	fmt.Println(prog.Flows[res.Owner][1].String())
	// Output:
	// learned host:100/00:00:00:00:00:01 2
	// [vlan eth_src eth_dst flood]
	// table=2,priority=8192,cookie=0x5adc15c0,idle_timeout=431,dl_dst=00:00:00:00:00:01,vlan_vid=0x1064,actions=pop_vlan,output:1
}
