package pipeline

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// routeGoldenConfig is the inter-VLAN parity case: two VLANs with IPv4 and
// IPv6 VIPs joined by a router, and static routes whose gateway is on the
// first VLAN. testdata/route-intervlan*.flows hold the flows Faucet
// installs for it, written from Faucet's source.
const routeGoldenConfig = `
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
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
      3: {tagged_vlans: [office, guest]}
`

// The routing tables on OVS equal Faucet's, flow for flow, at cold start
// and once the static routes' gateway is resolved (the FIB entries
// controller/route then asks for).
func TestRouteTablesEqualFaucetOnOVS(t *testing.T) {
	dp := loadDP(t, routeGoldenConfig)
	l := NewLearned()
	cold := compileOrFail(t, dp, l)
	ovs := startOVS(t, []uint32{1, 2, 3})
	ovs.load(cold)
	ovs.compareRouting(cold, "route-intervlan.flows")

	gw := mac("00:00:00:00:01:01")
	for _, p := range []string{"10.0.1.1/32", "10.99.0.0/16", "fc00:1::1/128", "fd00:99::/48"} {
		if _, err := l.SetRoute(dp, FIBEntry{Prefix: netip.MustParsePrefix(p), VID: 100, MAC: gw}); err != nil {
			t.Fatal(err)
		}
	}
	ovs.replace(compileOrFail(t, dp, l))
	ovs.compareRouting(compileOrFail(t, dp, l), "route-intervlan.flows", "route-intervlan-resolved.flows")
}

func compileOrFail(t *testing.T, dp *config.DP, l *Learned) *Program {
	t.Helper()
	p, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// replace empties br0 and loads p, as a fresh switch would hold it.
func (s *ovsSwitch) replace(p *Program) {
	s.t.Helper()
	s.must("ovs-ofctl", "-O", "OpenFlow13", "del-flows", "br0")
	s.load(p)
}

// compareRouting loads the golden files into a bridge of their own and
// compares its routing flows with br0's, both as OVS prints them, so the
// golden text is normalised by OVS exactly as the program is.
func (s *ovsSwitch) compareRouting(p *Program, golden ...string) {
	s.t.Helper()
	var text strings.Builder
	for _, g := range golden {
		b, err := os.ReadFile(filepath.Join("testdata", g))
		if err != nil {
			s.t.Fatal(err)
		}
		text.Write(b)
	}
	path := filepath.Join(s.dir, "golden.flows")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.run("ovs-vsctl", "--if-exists", "del-br", "gold")
	s.must("ovs-vsctl", "add-br", "gold", "--", "set", "bridge", "gold", "datapath_type=dummy",
		"protocols=OpenFlow13", "fail_mode=secure")
	s.must("ovs-ofctl", "-O", "OpenFlow13", "add-flows", "gold", path)
	want := s.routingFlows("gold", p)
	got := s.routingFlows("br0", p)
	if len(want) == 0 {
		s.t.Fatal("golden has no routing flows")
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			s.t.Errorf("missing flow Faucet installs: %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			s.t.Errorf("flow Faucet does not install: %s", g)
		}
	}
}

// routingFlows dumps bridge and keeps the routing flows: the FIB and vip
// tables whole, and eth_src flows between the LPM and filter priorities
// (the routing selections). Statistics are dropped and lines sorted.
func (s *ovsSwitch) routingFlows(bridge string, p *Program) []string {
	s.t.Helper()
	flows, err := ovslab.ParseFlows(s.must("ovs-ofctl", "-O", "OpenFlow13", "--no-stats", "dump-flows", bridge))
	if err != nil {
		s.t.Fatal(err)
	}
	routing := map[int]bool{}
	for _, n := range []string{TableIPv4FIB, TableIPv6FIB, TableVIP} {
		if id, ok := p.Tables.ID(n); ok {
			routing[int(id)] = true
		}
	}
	ethSrc, _ := p.Tables.ID(TableEthSrc)
	var out []string
	for _, f := range flows {
		if routing[f.Table] || f.Table == int(ethSrc) && f.Priority >= int(priorityLPM) && f.Priority < int(priorityFilter) {
			out = append(out, f.Text)
		}
	}
	slices.Sort(out)
	return out
}
