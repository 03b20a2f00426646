package dp

import (
	"context"
	"strings"
	"testing"
)

const twoDPs = `
vlans:
  office: {vid: 100}
acls:
  lim:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 5060, actions: {allow: 1, meter: m}}
    - rule: {actions: {allow: 1}}
meters:
  m:
    meter_id: 7
    entry: {flags: [KBPS], bands: [{type: DROP, rate: 512}]}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office}
  sw2:
    dp_id: 2
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office, acls_in: [lim]}
`

// A configuration that one DP cannot compile is applied nowhere: the DP
// that could compile it keeps its flows, and the recorded configuration
// is the old one; the error names the DP that failed.
func TestSetConfigAllOrNothing(t *testing.T) {
	old := mustConfig(t, twoDPs)
	m := startManager(t, old, Options{Clock: newFakeClock()})
	ctx := context.Background()
	sw := newFakeSwitch(1)
	m.SwitchConnected(ctx, sw)
	before := sw.flows()
	sw.takeSent()

	// sw1 gains a port; sw2's meter gets a band no switch knows, which
	// only the compiler (not the loader) sees, as it would a defect.
	next := mustConfig(t, strings.Replace(twoDPs, "      1: {native_vlan: office}\n  sw2:",
		"      1: {native_vlan: office}\n      2: {native_vlan: office}\n  sw2:", 1))
	if next.DP("sw1").Port(2) == nil {
		t.Fatal("test config edit did not apply")
	}
	for _, mt := range next.DP("sw2").Meters {
		mt.Entry.Bands[0].Type = "BOGUS"
	}
	err := m.SetConfig(ctx, next)
	if err == nil || !strings.Contains(err.Error(), "sw2") {
		t.Fatalf("SetConfig = %v; want an error naming sw2", err)
	}
	if m.Config() != old {
		t.Error("the recorded configuration changed")
	}
	if sent := sw.takeSent(); len(sent) != 0 {
		t.Errorf("sw1 was sent %d messages for a configuration that was not applied", len(sent))
	}
	sameFlows(t, sw.flows(), before)
	if p := compiled(t, m, 1); p.Flows["port:2"] != nil {
		t.Error("sw1 runs a program with port 2")
	}
}
