//go:build conformance

// Part of the conformance suite (make conformance CORPUS=dir): it reads
// Faucet's shipped example, which is not in this repository.

package pipeline

import (
	"path/filepath"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/faucetcorpus"
)

// TestConformanceRouteFaucetExample: for sw1 of Faucet's example
// (faucet.yaml: two routed VLANs with IPv4, IPv6 and link-local VIPs, two
// Faucet MACs, a static route), the routing tables on OVS equal
// testdata/route-faucet-example.flows, written from Faucet's source.
func TestConformanceRouteFaucetExample(t *testing.T) {
	cfg, err := config.LoadFile(filepath.Join(faucetcorpus.Dir(t), "examples", "faucet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dp := cfg.DP("sw1")
	p := compileOrFail(t, dp, NewLearned())
	var ports []uint32
	for _, pt := range dp.Ports {
		ports = append(ports, pt.Number)
	}
	ovs := startOVS(t, ports)
	ovs.load(p)
	ovs.compareRouting(p, "route-faucet-example.flows")
}
