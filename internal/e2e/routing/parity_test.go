package routing

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// parityConfig is faucet/pipeline's routeGoldenConfig (route_golden_test.go):
// the flows Faucet installs for it are in goldenFlows, written from
// Faucet's source.
const parityConfig = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.1.254/24", "fc00:1::fe/64"]
    routes:
      - route: {ip_dst: "10.99.0.0/16", ip_gw: "10.0.1.1"}
      - route: {ip_dst: "fd00:99::/48", ip_gw: "fc00:1::1"}
  guest: {vid: 200, faucet_vips: ["10.0.2.254/24", "fc00:2::fe/64"]}
routers:
  r1: {vlans: [office, guest]}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
      3: {tagged_vlans: [office, guest]}
`

// parityElsewhere differs in every routing table: other VIPs on guest, no
// IPv6 on office, no router, no static routes.
const parityElsewhere = `
vlans:
  office: {vid: 100, faucet_vips: ["10.0.1.254/24"]}
  guest: {vid: 200, faucet_vips: ["10.0.3.1/24", "fc00:3::1/64", "fe80::1/64"]}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
      3: {tagged_vlans: [office, guest]}
`

// goldenFlows is the golden file, shared with faucet/pipeline's tests.
var goldenFlows = filepath.Join("..", "..", "..", "faucet", "pipeline", "testdata", "route-intervlan.flows")

// Routing tables ids of parityConfig's layout: eth_src 1, FIBs 2 and 3,
// vip 4.
const parityEthSrc = 1

// routingFlows keeps a bridge's routing flows, normalised (no counters or
// ages) and sorted: the FIB and vip tables whole, and eth_src flows
// between the LPM (0x3000) and filter (0x5000) priorities.
func routingFlows(t *testing.T, lab *ovslab.Lab, bridge string) []string {
	t.Helper()
	flows := e2etest.Must[[]ovslab.Flow](t)(lab.DumpFlows(bridge))
	var out []string
	for _, f := range flows {
		if f.Table >= 2 && f.Table <= 4 || f.Table == parityEthSrc && f.Priority >= 0x3000 && f.Priority < 0x5000 {
			out = append(out, fmt.Sprintf("cookie=%#x table=%d priority=%d hard_timeout=%d %s actions=%s",
				f.Cookie, f.Table, f.Priority, f.HardTimeout, f.MatchString(), f.Actions))
		}
	}
	slices.Sort(out)
	return out
}

func sameFlows(t *testing.T, when string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: missing flow Faucet installs: %s", when, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s: flow Faucet does not install: %s", when, g)
		}
	}
}

// The controller's routing tables on OVS equal Faucet's after a cold
// start, and again after warm reloads to a different routing config and
// back, without reconnecting the switch.
func TestRoutingTablesEqualFaucetColdAndWarm(t *testing.T) {
	lab := newLab(t)
	ctl := e2etest.Start(t, parityConfig)
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(ctl.Target())))
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("gold", 2))
	golden := e2etest.Must[[]byte](t)(os.ReadFile(goldenFlows))
	if err := lab.AddFlowsBundleText("gold", string(golden)); err != nil {
		t.Fatal(err)
	}
	want := routingFlows(t, lab, "gold")
	if len(want) < 40 || !strings.Contains(strings.Join(want, "\n"), "CONTROLLER:194") {
		t.Fatalf("golden routing flows not loaded: %v", want)
	}
	ctx := e2etest.Context(t, 60*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	ctl.WaitSynced(ctx, 1, 1)
	sameFlows(t, "cold start", routingFlows(t, lab, "s1"), want)

	syncs := ctl.Status(1).Syncs
	for _, cfg := range []string{parityElsewhere, parityConfig} {
		ctl.WriteConfig(cfg)
		if err := ctl.App().Reload(ctx); err != nil {
			t.Fatalf("reload: %v", err)
		}
	}
	if st := ctl.Status(1); !st.Connected || st.Syncs != syncs {
		t.Fatalf("the reloads reconnected the switch (syncs %d -> %d): not a warm reload", syncs, st.Syncs)
	}
	sameFlows(t, "warm reload", routingFlows(t, lab, "s1"), want)
}
