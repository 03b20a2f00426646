package pipeline

import (
	"slices"
	"testing"
)

// inPortConfig sends DNS back out of the port it came in on (an ACL output
// to 0xfffffff8, OpenFlow IN_PORT, as Faucet allows) and lets the rest
// through.
const inPortConfig = `
acls:
  reflect-dns:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 53, actions: {output: {port: 0xfffffff8}}}
    - rule: {actions: {allow: 1}}
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, acls_in: [reflect-dns]}
      2: {native_vlan: office}
      0xfffffff8: {output_only: true}
`

func TestACLOutputToInPort(t *testing.T) {
	s := newSwitch(t, inPortConfig)
	dns := eth(1, h1MAC, h2MAC)
	dns.IPProto, dns.L4Dst = IPProtoUDP, 53
	wantOuts(t, "DNS reflected", s.tbl.Trace(dns), "1:u")
	other := eth(1, h1MAC, "ff:ff:ff:ff:ff:ff")
	other.IPProto, other.L4Dst = IPProtoUDP, 80
	if got := outs(s.tbl.Trace(other)); !slices.Contains(got, "2:u") || slices.Contains(got, "1:u") {
		t.Fatalf("other traffic: outputs %v, want flooded to 2", got)
	}

	// On Open vSwitch the flow is output:in_port, and the packet leaves
	// on the port it arrived on.
	ovs := startOVS(t, []uint32{1, 2})
	ovs.load(s.prog)
	if got := ovs.trace("in_port=1,dl_src=" + h1MAC + ",dl_dst=" + h2MAC + ",dl_type=0x0800,nw_proto=17,udp_dst=53"); got != "1" {
		t.Fatalf("OVS does %q with DNS, want it back out of port 1", got)
	}
	if got := ovs.trace("in_port=2,dl_src=" + h2MAC + ",dl_dst=" + h1MAC + ",dl_type=0x0800,nw_proto=17,udp_dst=53"); got == "2" {
		t.Fatalf("the ACL is on port 1 only, yet port 2's DNS is reflected")
	}
}
