package config

import (
	"strings"
	"testing"
)

// inPortConfig is Faucet's test_output_in_port case: an ACL that sends
// packets back out of their ingress port through an output_only interface
// numbered 0xfffffff8 (OpenFlow IN_PORT).
const inPortConfig = `
acls:
  good_acl:
    rules:
      - rule:
          actions:
            output:
              - port: 0xfffffff8
vlans:
  guest: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    dp_acls: [good_acl]
    interfaces:
      1: {native_vlan: 100}
      0xfffffff8: {output_only: true}
`

func TestACLOutputToInPort(t *testing.T) {
	cfg := mustLoad(t, inPortConfig)
	st := cfg.DPs[0].ACL("good_acl").Rules[0].Actions.Output.Steps
	if len(st) != 1 || st[0].Kind != OutPort || st[0].Port.Number != PortInPort {
		t.Fatalf("output steps %+v, want port %#x", st, PortInPort)
	}
}

// Such a port is never a VLAN member or ACL source: it must be output_only.
func TestInPortMustBeOutputOnly(t *testing.T) {
	_, err := load(t, strings.Replace(inPortConfig, "0xfffffff8: {output_only: true}", "0xfffffff8: {native_vlan: 100}", 1))
	if err == nil || !strings.Contains(err.Error(), "IN_PORT") || !strings.Contains(err.Error(), "output_only") {
		t.Fatalf("want an error naming IN_PORT and output_only, got %v", err)
	}
	// Other reserved port numbers stay invalid.
	_, err = load(t, strings.Replace(inPortConfig, "0xfffffff8: {output_only: true}", "0xfffffffd: {output_only: true}", 1))
	if err == nil || !strings.Contains(err.Error(), "port number invalid") {
		t.Fatalf("want port number invalid for 0xfffffffd, got %v", err)
	}
}
