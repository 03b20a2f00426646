//go:build conformance

// Part of the conformance suite (make conformance CORPUS=dir): it reads
// Faucet's shipped example, which is not in this repository.

package pipeline

import (
	"net/netip"
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

// TestConformanceRouteFaucetExampleSW2: sw2 of the same example (an
// Allied-Telesis switch with office tagged on its trunk and guest native)
// has sw1's routing flows at cold start; once the static route's gateway
// is resolved its FIB entries are testdata/route-faucet-example-sw2-resolved.flows,
// without dec_ttl as Faucet's AlliedTelesis valve does.
func TestConformanceRouteFaucetExampleSW2(t *testing.T) {
	cfg, err := config.LoadFile(filepath.Join(faucetcorpus.Dir(t), "examples", "faucet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dp := cfg.DP("sw2")
	l := NewLearned()
	p := compileOrFail(t, dp, l)
	var ports []uint32
	for _, pt := range dp.Ports {
		ports = append(ports, pt.Number)
	}
	ovs := startOVS(t, ports)
	ovs.load(p)
	ovs.compareRouting(p, "route-faucet-example.flows")

	gw := mac("00:00:00:00:10:02")
	for _, pfx := range []string{"10.0.100.2/32", "192.168.0.0/24"} {
		if _, err := l.SetRoute(dp, FIBEntry{Prefix: netip.MustParsePrefix(pfx), VID: 100, MAC: gw}); err != nil {
			t.Fatal(err)
		}
	}
	p = compileOrFail(t, dp, l)
	ovs.replace(p)
	ovs.compareRouting(p, "route-faucet-example.flows", "route-faucet-example-sw2-resolved.flows")
}
