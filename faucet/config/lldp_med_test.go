package config

import (
	"strings"
	"testing"
)

const medBase = `
vlans:
  office: {vid: 100}
  voice: {vid: 200}
  voice2: {vid: 300}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: voice}
      2: {native_vlan: office, tagged_vlans: [voice]}
      3: {native_vlan: office}
      4: {native_vlan: office, tagged_vlans: [voice, voice2]}
      5: {native_vlan: voice, enabled: false}
voip:
  qos: {voice_dscp: 40}
`

// Every enabled port that carries the voice VLAN gets its policy, tagged
// where the VLAN is tagged; dscp defaults to voip.qos.voice_dscp.
func TestLLDPMEDPorts(t *testing.T) {
	cfg := mustLoad(t, medBase+"  lldp_med:\n    voice: {priority: 6}\n")
	d := cfg.DPs[0]
	want := map[uint32]*PortLLDPMED{
		1: {VID: 200, Tagged: false, Priority: 6, DSCP: 40},
		2: {VID: 200, Tagged: true, Priority: 6, DSCP: 40},
		4: {VID: 200, Tagged: true, Priority: 6, DSCP: 40},
	}
	for _, p := range d.Ports {
		got, w := p.LLDPMED, want[p.Number]
		if (got == nil) != (w == nil) || (got != nil && *got != *w) {
			t.Errorf("port %d: %+v, want %+v", p.Number, got, w)
		}
	}
	if m := cfg.VoIP.LLDPMED; len(m) != 1 || m[0].VID != 200 || m[0].Priority != 6 || m[0].DSCP != 40 {
		t.Errorf("voip.lldp_med %+v", m)
	}
	// An explicit port list restricts it; by VID works as by name.
	cfg = mustLoad(t, medBase+"  lldp_med:\n    200: {dscp: 46, ports: {sw1: [2]}}\n")
	for _, p := range cfg.DPs[0].Ports {
		if (p.LLDPMED != nil) != (p.Number == 2) {
			t.Errorf("port %d policy %+v with ports: [2]", p.Number, p.LLDPMED)
		}
	}
	// Two voice VLANs on disjoint ports.
	mustLoad(t, medBase+"  lldp_med:\n    voice: {ports: {sw1: [1]}}\n    voice2: {}\n")
}

func TestLLDPMEDErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"  lldp_med:\n    nope: {}\n", "test.yaml:18:5: voip.lldp_med.nope: unknown VLAN \"nope\""},
		{"  lldp_med:\n    voice: {priority: 8}\n", "priority must be an 802.1p priority, 0-7"},
		{"  lldp_med:\n    voice: {dscp: 64}\n", "dscp must be 0-63"},
		{"  lldp_med:\n    voice: {ports: {sw1: [3]}}\n", "test.yaml:18:27: voip.lldp_med.voice.ports.sw1[0]: port \"3\" on DP sw1 does not carry VLAN 200"},
		{"  lldp_med:\n    voice: {ports: {sw9: [1]}}\n", "unknown DP \"sw9\""},
		{"  lldp_med:\n    voice: {ports: {sw1: [9]}}\n", "unknown port \"9\" on DP sw1"},
		{"  lldp_med:\n    voice: {}\n    voice2: {}\n", "port 4 on DP sw1 would advertise two voice VLANs (voice and voice2)"},
		{"  lldp_med:\n    voice: {prio: 5}\n", "unknown key \"prio\""},
		{"  lldp_med: [voice]\n", "voip.lldp_med: must be dict, not list"},
	} {
		_, err := load(t, medBase+tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n want %q\n got %v", tc.yaml, tc.want, err)
		}
	}
}

// An org TLV that cannot fit in a TLV is refused, not cut.
func TestOrgTLVTooLong(t *testing.T) {
	y := strings.Replace(minimal, "1: {native_vlan: office}",
		"1: {native_vlan: office, lldp_beacon: {enable: true, org_tlvs: [{oui: 1, subtype: 1, info: "+
			strings.Repeat("x", 508)+"}]}}", 1)
	if _, err := load(t, y); err == nil || !strings.Contains(err.Error(), "org_tlv info must be at most 507 octets, not 508") {
		t.Errorf("508-octet org TLV: %v", err)
	}
}
