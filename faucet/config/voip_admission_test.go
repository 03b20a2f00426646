package config

import (
	"strings"
	"testing"
)

const admissionBase = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      10: {name: wan, native_vlan: office}
voip:
  asterisk:
    pbx1: {host: 10.0.100.1, username: u, secret_env: X}
  qos:
`

func TestAdmissionLinks(t *testing.T) {
	cfg := mustLoad(t, admissionBase+`    admission:
      assume_codec: G729
      links:
        wan: {dp: sw1, port: wan, capacity_kbps: 10000, voice_share_percent: 50, police_best_effort: true}
        spare: {dp: sw1, port: 1, capacity_kbps: 2048.5}
`)
	a := cfg.VoIP.QoS.Admission
	if a == nil || len(a.Links) != 2 || a.AssumeCodec != "g729" {
		t.Fatalf("admission %+v", a)
	}
	w, s := a.Link("wan"), a.Link("spare")
	if w.DP != "sw1" || w.Port != 10 || w.CapacityKbps != 10000 || w.VoiceSharePercent != 50 || !w.PoliceBestEffort || w.BudgetKbps() != 5000 {
		t.Errorf("wan %+v", w)
	}
	if s.Port != 1 || s.CapacityKbps != 2048.5 || s.VoiceSharePercent != 100 || s.PoliceBestEffort {
		t.Errorf("spare %+v", s)
	}
	if cfg := mustLoad(t, admissionBase+"    voice_dscp: 46\n"); cfg.VoIP.QoS.Admission != nil {
		t.Errorf("admission on without the key")
	}
}

// TestAdmissionErrors: every mistake is reported with its file:line.
func TestAdmissionErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"    admission: {}\n", "test.yaml:14:16: voip.qos.admission: admission needs links"},
		{"    admission: {links: {wan: {dp: sw2, port: 10, capacity_kbps: 1}}}\n", "test.yaml:14:35: voip.qos.admission.links.wan.dp: unknown DP \"sw2\""},
		{"    admission: {links: {wan: {dp: sw1, port: 11, capacity_kbps: 1}}}\n", "unknown port \"11\" on DP sw1"},
		{"    admission: {links: {wan: {dp: sw1, capacity_kbps: 1}}}\n", "link needs port"},
		{"    admission: {links: {wan: {port: 10, capacity_kbps: 1}}}\n", "link needs dp"},
		{"    admission: {links: {wan: {dp: sw1, port: 10}}}\n", "link needs capacity_kbps"},
		{"    admission: {links: {wan: {dp: sw1, port: 10, capacity_kbps: 0}}}\n", "capacity_kbps must be 1-1000000000"},
		{"    admission: {links: {wan: {dp: sw1, port: 10, capacity_kbps: 9, voice_share_percent: 120}}}\n", "voice_share_percent must be above 0 and at most 100"},
		{"    admission: {links: {wan: {dp: sw1, port: 10, capacity_kbps: 9, speed: 1}}}\n", "unknown key \"speed\" in admission link"},
		{"    admission: {links: {WAN: {dp: sw1, port: 10, capacity_kbps: 9}}}\n", "link name \"WAN\" must be"},
		{"    admission: {links: {wan: 5}}\n", "link must be a mapping"},
		{"    admission: {assume_codec: gsm, links: {wan: {dp: sw1, port: 10, capacity_kbps: 9}}}\n", "assume_codec \"gsm\" is not a codec"},
		{"    admission: {links: {a: {dp: sw1, port: 10, capacity_kbps: 9}, b: {dp: sw1, port: wan, capacity_kbps: 9}}}\n", "link \"b\" leaves DP sw1 by port 10, as link \"a\" does"},
	} {
		_, err := load(t, admissionBase+tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n want %q\n got %v", tc.yaml, tc.want, err)
		}
	}
}
