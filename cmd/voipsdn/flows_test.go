package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const flowsTestConfig = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
`

func TestFlowsCmd(t *testing.T) {
	path := writeConfig(t, flowsTestConfig)
	var out, errb bytes.Buffer
	if code := flowsCmd(context.Background(), []string{"--config", path, "--dp", "sw1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	if !strings.HasPrefix(text, "# dp sw1 (dp_id 0x1): 4 tables") ||
		!strings.Contains(text, "\ntable=0,priority=4096,cookie=0x5adc15c0,in_port=1,vlan_vid=0x0,actions=push_vlan:0x8100,set_field:0x1064->vlan_vid,goto_table:1\n") {
		t.Fatalf("unexpected output:\n%s", text)
	}
	// Flows are sorted by table, then descending priority.
	lastTable, lastPrio := -1, 1<<17
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "table=") {
			continue
		}
		var table, prio int
		if _, err := fmtSscanf(line, &table, &prio); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if table < lastTable || table == lastTable && prio > lastPrio {
			t.Fatalf("flows out of order at %q", line)
		}
		lastTable, lastPrio = table, prio
	}
}

func TestFlowsCmdErrors(t *testing.T) {
	path := writeConfig(t, flowsTestConfig)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--config", path}, 1, "--dp is required"},
		{[]string{"--config", path, "--dp", "nope"}, 1, `no dp "nope"`},
		{[]string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}, 1, "missing.yaml"},
		{nil, 2, "usage"},
	} {
		var out, errb bytes.Buffer
		code := flowsCmd(context.Background(), c.args, &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.want) {
			t.Fatalf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errb.String(), c.code, c.want)
		}
	}
}

func fmtSscanf(line string, table, prio *int) (int, error) {
	return fmt.Sscanf(line, "table=%d,priority=%d,", table, prio)
}
