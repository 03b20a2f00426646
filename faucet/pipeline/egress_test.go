package pipeline

import (
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// egressConfig is Faucet's ValveEgressACLTestCase layout without routing:
// v200 has an acls_out that lets IPv6 reach one host only; v100 has none.
const egressConfig = `
vlans:
  v100: {vid: 0x100}
  v200:
    vid: 0x200
    acl_out: drop_non_allow_host_v6
acls:
  drop_non_allow_host_v6:
    - rule:
        ipv6_dst: "fc00:200::1:1"
        eth_type: 0x86DD
        actions: {allow: 1}
    - rule:
        eth_type: 0x86DD
        actions: {allow: 0}
dps:
  s1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: v100}
      2: {native_vlan: v200, tagged_vlans: [v100]}
      3: {tagged_vlans: [v100, v200]}
      4: {tagged_vlans: [v200]}
`

func TestEgressGoldenFlows(t *testing.T) {
	dp := loadDP(t, egressConfig)
	l := NewLearned()
	if r := l.Learn(testTime, dp, 2, 0x200, mac(h2)); r.Outcome != OutcomeLearned {
		t.Fatal(r)
	}
	p, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Tables.String() + flowText(p.AllFlows())
	path := filepath.Join("testdata", "egress.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if got != string(want) {
		t.Errorf("egress flows differ from %s:\n%s", path, got)
	}
}

// v6 is an IPv6/UDP frame from src to dst on VLAN 0x200 as it arrives on
// port in (tagged unless in is port 2, where 0x200 is native).
func v6(in uint32, src, dst, ipDst string) oftable.Packet {
	p := eth(in, src, dst)
	p.EthType, p.IPSrc, p.IPDst = EthTypeIPv6, netip.MustParseAddr("fc00:200::1:9"), netip.MustParseAddr(ipDst)
	if in != 2 {
		p = tagged(p, 0x200)
	}
	return p
}

// On the table model, as in Faucet's ValveEgressACLTestCase: v200's
// acls_out lets IPv6 reach fc00:200::1:1 only, whether the destination is
// learned (eth_dst -> egress_acl -> egress) or flooded (eth_dst miss ->
// egress_acl -> egress miss -> flood); v100, without acls_out, is
// untouched; IPv4 on v200 matches no rule and is dropped, as the ACL
// table's miss drops.
func TestEgressACLOnTableModel(t *testing.T) {
	const (
		m2 = "00:00:00:00:00:02"
		m3 = "00:00:00:00:00:03"
		m4 = "00:00:00:00:00:04"
	)
	s := newSwitch(t, egressConfig)
	// Unknown destinations flood through the egress ACL.
	wantOuts(t, "flooded, allowed", s.send(v6(2, m2, m4, "fc00:200::1:1")), "ctl", "3:512", "4:512")
	wantOuts(t, "flooded, denied", s.send(v6(3, m3, m4, "fc00:200::1:2")), "ctl")
	s.send(v6(4, m4, m2, "fc00:200::1:1"))
	// Learned destinations go through egress_acl and egress.
	wantOuts(t, "to h2, allowed", s.send(v6(3, m3, m2, "fc00:200::1:1")), "2:u")
	wantOuts(t, "to h4, allowed", s.send(v6(2, m2, m4, "fc00:200::1:1")), "4:512")
	wantOuts(t, "to h2, denied", s.send(v6(4, m4, m2, "fc00:200::1:2")))
	r := s.send(tagged(eth(3, m3, m2), 0x200))
	wantOuts(t, "IPv4 on v200 (no rule)", r)
	// v100 has no acls_out.
	wantOuts(t, "v100 flood", s.send(eth(1, "00:00:00:00:01:01", "00:00:00:00:01:02")), "ctl", "2:256", "3:256")
	wantOuts(t, "v100 to the learned host", s.send(tagged(eth(3, "00:00:00:00:01:03", "00:00:00:00:01:01"), 0x100)), "ctl", "1:u")
}

// The egress tables on OVS equal Faucet's (testdata/egress.flows, written
// from Faucet's source), flow for flow.
func TestEgressTablesEqualFaucetOnOVS(t *testing.T) {
	dp := loadDP(t, egressConfig)
	l := NewLearned()
	if r := l.Learn(testTime, dp, 2, 0x200, mac(h2)); r.Outcome != OutcomeLearned {
		t.Fatal(r)
	}
	p := compileOrFail(t, dp, l)
	ovs := startOVS(t, []uint32{1, 2, 3, 4})
	ovs.load(p)
	b, err := os.ReadFile(filepath.Join("testdata", "egress.flows"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ovs.dir, "egress.flows")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ovs.must("ovs-vsctl", "add-br", "gold", "--", "set", "bridge", "gold", "datapath_type=dummy",
		"protocols=OpenFlow13", "fail_mode=secure")
	ovs.must("ovs-ofctl", "-O", "OpenFlow13", "add-flows", "gold", path)
	var tables []int
	for _, n := range []string{TableEthDst, TableEgressACL, TableEgress} {
		id, _ := p.Tables.ID(n)
		tables = append(tables, int(id))
	}
	dump := func(bridge string) []string {
		flows, err := ovslab.ParseFlows(ovs.must("ovs-ofctl", "-O", "OpenFlow13", "--no-stats", "dump-flows", bridge))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range flows {
			if slices.Contains(tables, f.Table) {
				out = append(out, idleRE.ReplaceAllString(f.Text, ""))
			}
		}
		slices.Sort(out)
		return out
	}
	want, got := dump("gold"), dump("br0")
	if len(want) != 13 {
		t.Fatalf("golden has %d egress flows, want 13", len(want))
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing flow Faucet installs: %s", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("flow Faucet does not install: %s", g)
		}
	}
}

var idleRE = regexp.MustCompile(`idle_timeout=\d+,? ?`)

// egress_pipeline without acls_out adds the egress table only: eth_dst
// writes the metadata and goes straight to egress, and its miss floods.
func TestEgressPipelineWithoutACLs(t *testing.T) {
	y := strings.Replace(strings.Replace(egressConfig, "    acl_out: drop_non_allow_host_v6\n", "", 1),
		"    hardware: Open vSwitch\n", "    hardware: Open vSwitch\n    egress_pipeline: true\n", 1)
	s := newSwitch(t, y)
	if got := strings.Join(s.prog.Tables.Names(), ","); got != "vlan,eth_src,eth_dst,egress,flood" {
		t.Fatalf("tables %s", got)
	}
	if d, _ := s.prog.Tables.Decl(TableEthDst); d.Miss != TableFlood {
		t.Errorf("eth_dst miss %q, want flood", d.Miss)
	}
	wantOuts(t, "flood", s.send(v6(2, "00:00:00:00:00:02", "00:00:00:00:00:04", "fc00:200::1:2")), "ctl", "3:512", "4:512")
	s.send(v6(4, "00:00:00:00:00:04", "00:00:00:00:00:02", "fc00:200::1:2"))
	r := s.send(v6(3, "00:00:00:00:00:03", "00:00:00:00:00:02", "fc00:200::1:2"))
	wantOuts(t, "to the learned host through egress", r, "ctl", "2:u")
	egress, _ := s.prog.Tables.ID(TableEgress)
	if !slices.Contains(r.Tables, egress) {
		t.Errorf("the packet did not pass the egress table: %v", r.Tables)
	}
}
