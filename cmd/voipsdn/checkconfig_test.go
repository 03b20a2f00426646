package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCheckConfig(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := checkConfigCmd(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckConfigValid(t *testing.T) {
	code, out, stderr := runCheckConfig(t, filepath.Join("..", "..", "examples", "faucet.yaml"))
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var doc struct {
		Version int `json:"version"`
		DPs     []struct {
			Name       string `json:"name"`
			DPID       uint64 `json:"dp_id"`
			Timeout    int    `json:"timeout"`
			Interfaces []struct {
				Number     uint32 `json:"number"`
				NativeVLAN string `json:"native_vlan"`
			} `json:"interfaces"`
		} `json:"dps"`
		VoIP struct {
			Asterisk []struct {
				Port int `json:"port"`
			} `json:"asterisk"`
		} `json:"voip"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if doc.Version != 2 || len(doc.DPs) != 1 || doc.DPs[0].Name != "sw1" || doc.DPs[0].DPID != 1 {
		t.Errorf("unexpected DPs: %+v", doc.DPs)
	}
	if doc.DPs[0].Timeout != 300 {
		t.Errorf("defaults not filled: timeout %d", doc.DPs[0].Timeout)
	}
	if n := len(doc.DPs[0].Interfaces); n != 12 || doc.DPs[0].Interfaces[0].NativeVLAN != "data" {
		t.Errorf("interfaces (ranges expanded): %d %+v", n, doc.DPs[0].Interfaces)
	}
	if len(doc.VoIP.Asterisk) != 1 || doc.VoIP.Asterisk[0].Port != 5038 {
		t.Errorf("voip: %+v", doc.VoIP)
	}
	if strings.Contains(out, "ami.secret") && strings.Contains(out, "secret\":") {
		t.Error("secret value must never be printed")
	}
}

func TestCheckConfigInvalid(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "faucet.yaml")
	if err := os.WriteFile(bad, []byte("vlans:\n  office: {vid: 9999}\ndps:\n  sw1:\n    dp_id: 1\n    interfaces:\n      3: {native_vlan: voice}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCheckConfig(t, bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("nothing should go to stdout for an invalid file, got %q", out)
	}
	for _, want := range []string{
		bad + ":2:17: vlans.office.vid: invalid VID 9999",
		bad + `:7:24: dps.sw1.interfaces.3.native_vlan: unknown VLAN "voice"`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestCheckConfigUsageAndMultipleFiles(t *testing.T) {
	if code, _, _ := runCheckConfig(t); code != 2 {
		t.Errorf("no files: exit %d, want 2", code)
	}
	good := filepath.Join("..", "..", "examples", "faucet.yaml")
	code, out, stderr := runCheckConfig(t, "-q", good, filepath.Join(t.TempDir(), "missing.yaml"))
	if code != 1 || out != "" || !strings.Contains(stderr, "missing.yaml: cannot read") {
		t.Errorf("exit %d out %q stderr %q", code, out, stderr)
	}
}

func TestCheckConfigNotesUnsupportedFeatures(t *testing.T) {
	// Valid for Faucet (an 802.1X port), but voipsdn does not program
	// 802.1X: check-config accepts it and says so.
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	cfg := `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    dot1x: {nfv_intf: lo, nfv_sw_port: 2, radius_ip: 127.0.0.1, radius_port: 1812, radius_secret: s}
    interfaces:
      1: {native_vlan: office, dot1x: true}
      2: {output_only: true}
`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCheckConfig(t, path)
	if code != 0 || out == "" {
		t.Fatalf("valid Faucet config: exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "dps.sw1.interfaces.1.dot1x: not supported yet: 802.1X") {
		t.Errorf("stderr should note the unsupported 802.1X ports:\n%s", stderr)
	}
}

// check-config refuses a config that is a symlink to /dev/zero at once,
// naming the file, instead of reading it whole.
func TestCheckConfigRefusesDevZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCheckConfig(t, path)
	if code != 1 || out != "" || !strings.Contains(stderr, path+": cannot read "+path+": not a regular file") {
		t.Errorf("exit %d out %q stderr %q", code, out, stderr)
	}
}

// A config Faucet accepts but a switch would refuse (udp_src without its
// ip_proto prerequisite) is valid for check-config, which notes that run
// will refuse it.
func TestCheckConfigNotesRulesASwitchRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	cfg := `
acls:
  web:
    - rule:
        udp_src: 80
vlans:
  office:
    vid: 100
    acls_in: [web]
dps:
  sw1:
    dp_id: 1
    interfaces:
      1:
        native_vlan: office
`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCheckConfig(t, path)
	if code != 0 || out == "" {
		t.Fatalf("valid Faucet config: exit %d, stderr %s", code, stderr)
	}
	want := "acl web rule 1: matching udp_src needs ip_proto 17 in the same rule (OpenFlow prerequisite) (voipsdn run will refuse this config)"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr should say run refuses the rule:\n%s", stderr)
	}
}
