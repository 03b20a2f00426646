package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

const aclConfig = `
vlans:
  office:
    vid: 100
  voice:
    vid: 200
    acls_in: [voice-policy]
acls:
  no-dns:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 53, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
  only-arp:
    - rule: {dl_type: 0x806, actions: {allow: 1}}
  redirect:
    - rule:
        dl_type: 0x800
        nw_proto: 6
        tcp_dst: 80
        cookie: 1234
        actions: {output: {port: 3}}
    - rule: {actions: {allow: 1, mirror: 9}}
  metered:
    - rule: {actions: {allow: 1, meter: lim}}
  push:
    - rule: {actions: {output: {vlan_vid: 300, port: 3}}}
  voice-policy:
    - rule:
        dl_type: 0x800
        nw_proto: 6
        tcp_dst: 80
        actions: {output: {swap_vid: 300, port: 3}}
    - rule:
        dl_type: 0x800
        nw_proto: 6
        tcp_dst: 81
        actions: {output: {pop_vlans: 1, port: 8}}
    - rule:
        dl_type: 0x800
        nw_proto: 6
        tcp_dst: 82
        actions: {output: {set_fields: [{eth_dst: "00:00:00:00:00:aa"}], port: 3}}
    - rule: {actions: {allow: 1}}
meters:
  lim:
    meter_id: 7
    entry:
      flags: [KBPS, STATS]
      bands: [{type: DROP, rate: 512}]
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, acls_in: [no-dns]}
      2: {native_vlan: office, acls_in: [only-arp]}
      3: {tagged_vlans: [office, voice]}
      5: {native_vlan: office, acls_in: [redirect]}
      6: {native_vlan: office, acls_in: [metered]}
      7: {native_vlan: office, acls_in: [push]}
      8: {native_vlan: voice}
      10: {native_vlan: voice}
      11: {native_vlan: office}
      9: {output_only: true}
`

func udp(in uint32, dport uint16) oftableFrame { return frame(in, IPProtoUDP, dport) }
func tcp(in uint32, dport uint16) oftableFrame { return frame(in, IPProtoTCP, dport) }

func TestACLDenyOneUDPPort(t *testing.T) {
	s := newSwitch(t, aclConfig)
	if r := s.tbl.Trace(udp(1, 53).p); !r.Dropped {
		t.Fatalf("UDP 53 must be denied:\n%v", r)
	}
	if r := s.tbl.Trace(udp(1, 5060).p); r.Dropped {
		t.Fatalf("UDP 5060 must pass:\n%v", r)
	}
	if r := s.tbl.Trace(tcp(1, 53).p); r.Dropped {
		t.Fatalf("TCP 53 must pass:\n%v", r)
	}
	// Port 11 has no ACL while others do: it is allowed everything.
	if r := s.tbl.Trace(udp(11, 53).p); r.Dropped {
		t.Fatalf("port without ACL must pass:\n%v", r)
	}
}

func TestACLDefaultDeny(t *testing.T) {
	s := newSwitch(t, aclConfig)
	if r := s.tbl.Trace(udp(2, 5060).p); !r.Dropped {
		t.Fatalf("IPv4 matches no rule of only-arp: must be dropped:\n%v", r)
	}
	arp := eth(2, h2, "ff:ff:ff:ff:ff:ff")
	arp.EthType = EthTypeARP
	if r := s.tbl.Trace(arp); r.Dropped {
		t.Fatalf("ARP allowed by only-arp was dropped:\n%v", r)
	}
}

func TestACLOutputMirrorAndCookie(t *testing.T) {
	s := newSwitch(t, aclConfig)
	r := s.tbl.Trace(tcp(5, 80).p)
	wantOuts(t, "redirected web", r, "3:u")
	if f := r.Flows[0]; f.Cookie != 1234 {
		t.Fatalf("rule cookie not on flow: %s", f.String())
	}
	r = s.tbl.Trace(udp(5, 5060).p)
	if !slices.Contains(outs(r), "9:u") || !slices.Contains(outs(r), "ctl") {
		t.Fatalf("mirror rule must copy to 9 and allow on:\n%v", r)
	}
}

func TestACLMeter(t *testing.T) {
	s := newSwitch(t, aclConfig)
	if len(s.prog.Meters) != 1 || s.prog.Meters[0].String() != "meter=7,kbps,stats,bands=type=drop,rate=512" {
		t.Fatalf("meters %v", s.prog.Meters)
	}
	r := s.tbl.Trace(udp(6, 5060).p)
	if !slices.Equal(r.Meters, []uint32{7}) || r.Dropped {
		t.Fatalf("metered traffic must pass meter 7 and continue:\n%v", r)
	}
}

func TestACLVLANActions(t *testing.T) {
	s := newSwitch(t, aclConfig)
	wantOuts(t, "vlan_vid push in port ACL", s.tbl.Trace(udp(7, 1).p), "3:300")
	// Voice frames from access port 10 carry tag 200 by the time the VLAN
	// ACL sees them.
	wantOuts(t, "swap_vid in VLAN ACL", s.tbl.Trace(tcp(10, 80).p), "3:300")
	wantOuts(t, "pop_vlans in VLAN ACL", s.tbl.Trace(tcp(10, 81).p), "8:u")
	r := s.tbl.Trace(tcp(10, 82).p)
	wantOuts(t, "set_fields", r, "3:200")
	if got := r.Outputs[0].Packet.EthDst.String(); got != "00:00:00:00:00:aa" {
		t.Fatalf("eth_dst not rewritten: %s", got)
	}
	// Other voice traffic is allowed on to learning and flooding.
	wantOuts(t, "voice allowed", s.tbl.Trace(udp(10, 5060).p), "ctl", "3:200", "8:u")
}

func TestACLRulePrioritiesAndExactMatch(t *testing.T) {
	s := newSwitch(t, aclConfig)
	var prios []uint16
	for _, f := range s.prog.Flows[PortOwner(1)] {
		if s.prog.Tables.Name(f.Table) == TablePortACL {
			prios = append(prios, f.Priority)
		}
	}
	if !slices.Equal(prios, []uint16{aclPriority, aclPriority - 1}) {
		t.Fatalf("rules must count down from %d: %v", aclPriority, prios)
	}
	s = newSwitch(t, `
vlans:
  office: {vid: 100}
acls:
  exact:
    exact_match: true
    rules:
      - rule: {eth_src: "00:00:00:00:00:01", actions: {allow: 1}}
      - rule: {eth_src: "00:00:00:00:00:02", actions: {allow: 1}}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, acls_in: [exact]}
`)
	for _, f := range s.prog.Flows[PortOwner(1)] {
		if s.prog.Tables.Name(f.Table) == TablePortACL && f.Priority != aclPriority {
			t.Fatalf("exact_match rule at priority %d: %s", f.Priority, f.String())
		}
	}
}

func TestACLForcePortVLANAndDPACLs(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
acls:
  guard:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 53, actions: {allow: 0}}
    - rule: {dl_type: 0x806, actions: {allow: 1, force_port_vlan: 1}}
    - rule: {actions: {allow: 1}}
dps:
  sw1:
    dp_id: 1
    dp_acls: [guard]
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
`)
	if r := s.tbl.Trace(udp(1, 53).p); !r.Dropped {
		t.Fatalf("dp_acls deny on port 1:\n%v", r)
	}
	if r := s.tbl.Trace(udp(2, 53).p); !r.Dropped {
		t.Fatalf("dp_acls deny on port 2:\n%v", r)
	}
	if _, ok := s.prog.Flows[ACLOwner("guard")]; !ok {
		t.Fatalf("dp_acls flows under owner %s: %v", ACLOwner("guard"), s.prog.Owners())
	}
	wantOuts(t, "dp_acls allow", s.tbl.Trace(udp(2, 5060).p), "ctl", "1:u")
	ethDst, _ := s.prog.Tables.ID(TableEthDst)
	vlan, _ := s.prog.Tables.ID(TableVLAN)
	fs := s.prog.Flows[ACLOwner("guard")]
	if len(fs) != 3 || fs[1].Instr.GotoTable != ethDst || fs[2].Instr.GotoTable != vlan {
		t.Fatalf("force_port_vlan must skip to eth_dst (%d), allow to vlan (%d):\n%s", ethDst, vlan, flowText(fs))
	}
}

// oftableFrame wraps a test frame so helpers read well.
type oftableFrame struct{ p testPacket }

func frame(in uint32, proto uint8, dport uint16) oftableFrame {
	p := eth(in, "00:00:00:00:00:"+hex2(in), "ff:ff:ff:ff:ff:ff")
	p.IPProto, p.L4Dst = proto, dport
	return oftableFrame{p}
}

func hex2(n uint32) string {
	const d = "0123456789abcdef"
	return string([]byte{d[n>>4&15], d[n&15]})
}

var _ = of13.PortController

func TestCompileErrorsNameTheObject(t *testing.T) {
	dp := loadDP(t, `
vlans:
  office: {vid: 100}
acls:
  conntrack:
    - rule: {ct_state: 0x21, actions: {allow: 1}}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, acls_in: [conntrack]}
`)
	_, err := Compile(dp, nil)
	if err == nil || !strings.Contains(err.Error(), "dp sw1") || !strings.Contains(err.Error(), "ct_state") ||
		!strings.Contains(err.Error(), "conntrack") {
		t.Fatalf("want an error naming dp, acl and field, got %v", err)
	}
}

func TestACLFailoverOutput(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
acls:
  ff:
    - rule:
        actions:
          output:
            failover: {group_id: 1000, ports: [2, 3]}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, acls_in: [ff]}
      2: {native_vlan: office}
      3: {native_vlan: office}
`)
	if len(s.prog.Groups) != 1 || s.prog.Groups[0].Type != of13.GroupTypeFF || s.prog.Groups[0].ID != 1000 {
		t.Fatalf("groups %v", s.prog.Groups)
	}
	wantOuts(t, "failover to first live port", s.tbl.Trace(udp(1, 5060).p), "2:u")
}
