package config

import (
	"fmt"
	"strings"
	"testing"
)

// genInterfaces writes a config with one DP of n interfaces on four VLANs,
// each port with two ACLs of four rules. change alters one port.
func genInterfaces(n int, change bool) []byte {
	var b strings.Builder
	b.WriteString("vlans:\n")
	for v := 1; v <= 4; v++ {
		fmt.Fprintf(&b, "  v%d: {vid: %d, faucet_vips: [\"10.%d.0.254/24\"]}\n", v, 100*v, v)
	}
	b.WriteString("routers:\n  r: {vlans: [v1, v2, v3, v4]}\n")
	b.WriteString("meters:\n  m: {meter_id: 1, entry: {flags: [KBPS], bands: [{type: DROP, rate: 1000}]}}\n")
	b.WriteString("acls:\n")
	for _, name := range []string{"protect", "voice"} {
		fmt.Fprintf(&b, "  %s:\n", name)
		b.WriteString("    - rule: {dl_type: 0x800, nw_proto: 17, udp_src: 67, udp_dst: 68, actions: {allow: 0}}\n")
		b.WriteString("    - rule: {dl_type: 0x86dd, nw_proto: 58, icmpv6_type: 134, actions: {allow: 0}}\n")
		b.WriteString("    - rule: {eth_type: 0x800, ip_proto: 17, udp_dst: 5060, ipv4_dst: 10.2.0.10, actions: {allow: 1, meter: m}}\n")
		b.WriteString("    - rule: {actions: {allow: 1}}\n")
	}
	b.WriteString("dps:\n  sw1:\n    dp_id: 1\n    interfaces:\n")
	for p := 1; p <= n; p++ {
		maxHosts := 8
		if change && p == n/2 {
			maxHosts = 9
		}
		fmt.Fprintf(&b, "      %d: {name: port%d, description: \"desk %d\", native_vlan: v%d, tagged_vlans: [v4], max_hosts: %d, acls_in: [protect, voice]}\n",
			p, p, p, 1+p%3, maxHosts)
	}
	return []byte(b.String())
}

// genVLANs writes a config with n VLANs, each with three ACLs of its own,
// on one DP with 48 access ports and a trunk carrying every VLAN.
func genVLANs(n int, change bool) []byte {
	var b strings.Builder
	b.WriteString("acls:\n")
	for v := 1; v <= n; v++ {
		for a := 0; a < 3; a++ {
			port := 53 + a
			if change && v == n/2 && a == 0 {
				port = 54
			}
			fmt.Fprintf(&b, "  v%d-a%d: [{rule: {dl_type: 0x800, nw_proto: 17, udp_dst: %d, actions: {allow: 0}}}, {rule: {actions: {allow: 1}}}]\n", v, a, port)
		}
	}
	b.WriteString("vlans:\n")
	for v := 1; v <= n; v++ {
		fmt.Fprintf(&b, "  vlan%d: {vid: %d, acls_in: [v%d-a0, v%d-a1, v%d-a2]}\n", v, v, v, v, v)
	}
	b.WriteString("dps:\n  sw1:\n    dp_id: 1\n    interfaces:\n")
	for p := 1; p <= 48; p++ {
		fmt.Fprintf(&b, "      %d: {native_vlan: vlan%d}\n", p, p)
	}
	b.WriteString("      49: {tagged_vlans: [")
	for v := 49; v <= n; v++ {
		if v > 49 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", v)
	}
	b.WriteString("]}\n")
	return []byte(b.String())
}

func benchParseDiff(b *testing.B, oldData, newData []byte) {
	old, err := LoadFileBytes("old.yaml", oldData)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(newData)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cfg, err := LoadFileBytes("new.yaml", newData)
		if err != nil {
			b.Fatal(err)
		}
		if d := Diff(old, cfg); d.Empty() {
			b.Fatal("change not detected")
		}
	}
}

// BenchmarkParseValidateDiff100Interfaces: parse, validate and diff a DP
// with 100 interfaces (goal: <= 20 ms/op).
func BenchmarkParseValidateDiff100Interfaces(b *testing.B) {
	benchParseDiff(b, genInterfaces(100, false), genInterfaces(100, true))
}

// BenchmarkParseValidateDiff3000VLANs3ACLs: 3000 VLANs with three ACLs each.
func BenchmarkParseValidateDiff3000VLANs3ACLs(b *testing.B) {
	benchParseDiff(b, genVLANs(3000, false), genVLANs(3000, true))
}

// TestBenchConfigsValid keeps the benchmark inputs honest.
func TestBenchConfigsValid(t *testing.T) {
	for name, data := range map[string][]byte{
		"interfaces": genInterfaces(100, true),
		"vlans":      genVLANs(300, true),
	} {
		cfg, err := LoadFileBytes(name+".yaml", data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(cfg.DPs[0].Ports) < 49 {
			t.Errorf("%s: %d ports", name, len(cfg.DPs[0].Ports))
		}
	}
	if d := Diff(mustLoad(t, string(genVLANs(300, false))), mustLoad(t, string(genVLANs(300, true)))); len(d.PerDP) != 1 || len(d.PerDP[0].ACLs.Changed) != 1 {
		t.Errorf("vlans diff: %+v", d.PerDP)
	}
}
