package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

const lacpGoldenConfig = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, lacp: 7}
      2: {native_vlan: office, lacp: 7}
      3: {native_vlan: office}
      4: {tagged_vlans: [office]}
`

// TestLACPTablesEqualFaucetOnOVS loads Faucet's vlan and flood tables for
// a LAG (testdata/lacp-*.flows, written from Faucet's source) and
// voipsdn's into Open vSwitch and compares the dumps, before the LAG is
// up and after both members are.
func TestLACPTablesEqualFaucetOnOVS(t *testing.T) {
	dp := loadDP(t, lacpGoldenConfig)
	l := NewLearned()
	ovs := startOVS(t, []uint32{1, 2, 3, 4})
	cold := compileOrFail(t, dp, l)
	ovs.load(cold)
	ovs.compareTables(cold, "lacp-cold.flows", TableVLAN, TableFlood)
	l.SetLACPForwarding(dp, 1, true)
	l.SetLACPForwarding(dp, 2, true)
	up := compileOrFail(t, dp, l)
	ovs.replace(up)
	ovs.compareTables(up, "lacp-up.flows", TableVLAN, TableFlood)
}

// compareTables loads golden into a second bridge and compares the named
// tables of both, flow for flow, as OVS prints them.
func (s *ovsSwitch) compareTables(p *Program, golden string, tables ...string) {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", golden))
	if err != nil {
		s.t.Fatal(err)
	}
	path := filepath.Join(s.dir, "golden.flows")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.run("ovs-vsctl", "--if-exists", "del-br", "gold")
	s.must("ovs-vsctl", "add-br", "gold", "--", "set", "bridge", "gold", "datapath_type=dummy",
		"protocols=OpenFlow13", "fail_mode=secure")
	s.must("ovs-ofctl", "-O", "OpenFlow13", "add-flows", "gold", path)
	ids := map[int]bool{}
	for _, n := range tables {
		id, ok := p.Tables.ID(n)
		if !ok {
			s.t.Fatalf("no table %s", n)
		}
		ids[int(id)] = true
	}
	dump := func(bridge string) []string {
		flows, err := ovslab.ParseFlows(s.must("ovs-ofctl", "-O", "OpenFlow13", "--no-stats", "dump-flows", bridge))
		if err != nil {
			s.t.Fatal(err)
		}
		var out []string
		for _, f := range flows {
			if ids[f.Table] {
				out = append(out, f.Text)
			}
		}
		slices.Sort(out)
		return out
	}
	want, got := dump("gold"), dump("br0")
	for _, w := range want {
		if !slices.Contains(got, w) {
			s.t.Errorf("%s: missing flow Faucet installs: %s", golden, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			s.t.Errorf("%s: flow Faucet does not install: %s", golden, g)
		}
	}
}
