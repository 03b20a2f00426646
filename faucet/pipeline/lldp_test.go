package pipeline

import (
	"strings"
	"testing"
)

// LLDP goes to the controller from receive_lldp ports only
// (ValveLLDPManager.add_port: port.receive_lldp), matching the whole
// 802.1D bridge group range (eth_dst 01:80:c2:00:00:0e under
// BRIDGE_GROUP_MASK), at highest_priority with 128 bytes. A port that only
// sends beacons gets no such flow.
func TestLLDPReceiveFlows(t *testing.T) {
	dp := loadDP(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    lldp_beacon: {send_interval: 5}
    interfaces:
      1: {native_vlan: office, receive_lldp: true}
      2: {native_vlan: office, lldp_beacon: {enable: true}}
`)
	p := compileOrFail(t, dp, nil)
	var got []string
	for _, f := range p.AllFlows() {
		if s := f.String(); strings.Contains(s, "0x88cc") {
			got = append(got, s)
		}
	}
	want := "table=0,priority=9099,cookie=0x5adc15c0,in_port=1,dl_dst=01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0,dl_type=0x88cc,actions=controller:128"
	if len(got) != 1 || got[0] != want {
		t.Errorf("LLDP flows:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}
