package pipeline

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// bigConfig is a 48-port switch with 10 VLANs: ports 1-40 are access
// ports spread over the VLANs, 41-48 are trunks carrying all of them, and
// every port has a 6-rule ACL.
func bigConfig() string {
	var b strings.Builder
	b.WriteString("vlans:\n")
	for v := 1; v <= 10; v++ {
		fmt.Fprintf(&b, "  v%d: {vid: %d, max_hosts: 2000}\n", v, 100+v)
	}
	b.WriteString(`acls:
  edge:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 53, actions: {allow: 0}}
    - rule: {dl_type: 0x800, nw_proto: 6, tcp_dst: 23, actions: {allow: 0}}
    - rule: {dl_type: 0x800, ipv4_dst: "10.99.0.0/16", actions: {allow: 0}}
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 5060, actions: {allow: 1, meter: sip}}
    - rule: {dl_type: 0x86dd, nw_proto: 58, actions: {allow: 1}}
    - rule: {actions: {allow: 1}}
meters:
  sip:
    meter_id: 1
    entry: {flags: [KBPS], bands: [{type: DROP, rate: 2000}]}
dps:
  sw1:
    dp_id: 1
    interfaces:
`)
	for p := 1; p <= 48; p++ {
		if p <= 40 {
			fmt.Fprintf(&b, "      %d: {native_vlan: %d, acls_in: [edge]}\n", p, 101+(p-1)%10)
			continue
		}
		fmt.Fprintf(&b, "      %d: {tagged_vlans: [101,102,103,104,105,106,107,108,109,110], acls_in: [edge]}\n", p)
	}
	return b.String()
}

func BenchmarkCompile48Ports10VLANs(b *testing.B) {
	dp := loadDP(b, bigConfig())
	p, err := Compile(dp, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(dp, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p.AllFlows())), "flows")
}

// BenchmarkCompileWith1000Hosts adds 1000 learned hosts to the same switch.
func BenchmarkCompileWith1000Hosts(b *testing.B) {
	dp := loadDP(b, bigConfig())
	l := NewLearned()
	now := time.Unix(0, 0)
	for i := range 1000 {
		port := uint32(1 + i%40)
		l.Learn(now, dp, port, uint16(101+(port-1)%10), net.HardwareAddr{0, 0, 0, 1, byte(i >> 8), byte(i)})
	}
	p, err := Compile(dp, l)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(dp, l); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p.AllFlows())), "flows")
}

// BenchmarkLearn learns a new host per iteration on a switch that already
// has up to 10000 hosts, expiring them as they age, as the runtime would.
func BenchmarkLearn(b *testing.B) {
	dp := loadDP(b, bigConfig())
	l := NewLearned()
	now := time.Unix(0, 0)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		port := uint32(1 + i%40)
		mac := net.HardwareAddr{0, 0, 1, byte(i >> 16), byte(i >> 8), byte(i)}
		r := l.Learn(now, dp, port, uint16(101+(port-1)%10), mac)
		if r.Outcome != OutcomeLearned {
			b.Fatalf("%d: %+v", i, r)
		}
		i++
		if i%10000 == 0 {
			now = now.Add(time.Duration(dp.Timeout+1) * time.Second)
			l.Expire(now, dp)
		}
	}
}
