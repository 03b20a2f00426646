package config

import (
	"slices"
	"strings"
	"testing"
)

const diffBase = `
acls:
  a: [{rule: {dl_type: 0x800, actions: {allow: 1}}}]
  b: [{rule: {actions: {allow: 0}}}]
meters:
  m: {meter_id: 1, entry: {flags: [KBPS], bands: [{type: DROP, rate: 100}]}}
vlans:
  office: {vid: 100, description: "office"}
  voice: {vid: 200, routes: [{ip_dst: 10.9.0.0/16, ip_gw: 10.0.0.1}]}
dps:
  sw1:
    dp_id: 1
    description: "switch one"
    interfaces:
      1: {native_vlan: office, description: "desk", acls_in: [a]}
      2: {native_vlan: voice}
      3: {tagged_vlans: [office, voice]}
`

func diffOf(t *testing.T, oldYAML, newYAML string) *ChangeSet {
	t.Helper()
	return Diff(mustLoad(t, oldYAML), mustLoad(t, newYAML))
}

func TestDiffIdentical(t *testing.T) {
	if d := diffOf(t, diffBase, diffBase); !d.Empty() {
		t.Errorf("same config gave %+v", d)
	}
}

func TestDiffDescriptionOnly(t *testing.T) {
	n := strings.NewReplacer(`"office"`, `"office floor 2"`, `"switch one"`, `"switch 1"`, `"desk"`, `"desk 12"`).Replace(diffBase)
	d := diffOf(t, diffBase, n)
	if !d.Empty() {
		t.Fatalf("description-only change must give an empty diff, got %+v", d.PerDP[0])
	}
	if len(d.Cosmetic) != 3 {
		t.Errorf("cosmetic = %v, want the VLAN, DP and port", d.Cosmetic)
	}
}

func TestDiffChanges(t *testing.T) {
	n := strings.NewReplacer(
		"1: {native_vlan: office, description: \"desk\", acls_in: [a]}", "1: {native_vlan: office, description: \"desk\", acls_in: [b]}",
		"2: {native_vlan: voice}", "2: {native_vlan: voice, max_hosts: 5}\n      4: {native_vlan: office}",
		"3: {tagged_vlans: [office, voice]}", "",
		"ip_gw: 10.0.0.1", "ip_gw: 10.0.0.2",
	).Replace(diffBase)
	d := diffOf(t, diffBase, n)
	dd := d.DP("sw1")
	if dd == nil {
		t.Fatal("no change reported for sw1")
	}
	if dd.ColdStart {
		t.Errorf("no cold start expected: %v", dd.Reasons)
	}
	if !slices.Equal(dd.Ports.Added, []uint32{4}) || !slices.Equal(dd.Ports.Changed, []uint32{2}) || !slices.Equal(dd.Ports.Removed, []uint32{3}) {
		t.Errorf("ports = %+v", dd.Ports)
	}
	if !slices.Equal(dd.ACLPorts, []uint32{1}) {
		t.Errorf("ACL-only ports = %v, want [1]", dd.ACLPorts)
	}
	if !slices.Contains(dd.VLANs.Changed, 200) || !slices.Contains(dd.VLANs.Changed, 100) {
		t.Errorf("VLANs changed = %v, want membership and route changes on 100 and 200", dd.VLANs.Changed)
	}
	if len(dd.RoutesAdded) != 1 || len(dd.RoutesRemoved) != 1 || dd.RoutesAdded[0].Route.Gateway.String() != "10.0.0.2" {
		t.Errorf("routes +%v -%v", dd.RoutesAdded, dd.RoutesRemoved)
	}
	// The DP now uses b instead of a; neither ACL's content changed.
	if !slices.Equal(dd.ACLs.Added, []string{"b"}) || !slices.Equal(dd.ACLs.Removed, []string{"a"}) || len(dd.ACLs.Changed) != 0 {
		t.Errorf("ACLs = %+v, want b added and a removed on sw1", dd.ACLs)
	}
}

func TestDiffACLContentAndMeters(t *testing.T) {
	n := strings.Replace(diffBase, "dl_type: 0x800, actions: {allow: 1}", "dl_type: 0x86dd, actions: {allow: 1, meter: m}", 1)
	dd := diffOf(t, diffBase, n).DP("sw1")
	if dd == nil || !slices.Equal(dd.ACLs.Changed, []string{"a"}) || !slices.Equal(dd.ACLPorts, []uint32{1}) {
		t.Fatalf("ACL a content change: %+v", dd)
	}
	if !slices.Equal(dd.Meters.Added, []string{"m"}) {
		t.Errorf("meter m becomes used: %+v", dd.Meters)
	}
}

func TestDiffColdStartAndDPs(t *testing.T) {
	n := strings.Replace(diffBase, "dp_id: 1\n", "dp_id: 1\n    timeout: 600\n", 1) + `
  sw2:
    dp_id: 2
    interfaces: {1: {native_vlan: office}}
`
	d := diffOf(t, diffBase, n)
	if !slices.Equal(d.DPs.Added, []string{"sw2"}) {
		t.Errorf("DPs added = %v", d.DPs.Added)
	}
	if dd := d.DP("sw1"); dd == nil || !dd.ColdStart {
		t.Errorf("timeout change must need a cold start: %+v", dd)
	}
	back := Diff(mustLoad(t, n), mustLoad(t, diffBase))
	if !slices.Equal(back.DPs.Removed, []string{"sw2"}) {
		t.Errorf("DPs removed = %v", back.DPs.Removed)
	}
	if first := Diff(nil, mustLoad(t, diffBase)); !slices.Equal(first.DPs.Added, []string{"sw1"}) {
		t.Errorf("diff from nothing = %+v", first.DPs)
	}
}

func TestDiffVoIP(t *testing.T) {
	base := minimal + "voip:\n  asterisk:\n    pbx1: {host: 10.0.0.5, username: u, secret_env: S}\n"
	n := strings.Replace(base, "10.0.0.5", "10.0.0.6", 1) + "  qos: {voice_dscp: 40}\n"
	d := diffOf(t, base, n)
	if !slices.Equal(d.VoIP.Asterisk.Changed, []string{"pbx1"}) || !d.VoIP.QoSChanged || d.Empty() {
		t.Errorf("voip diff = %+v", d.VoIP)
	}
}
