package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A reload whose voice service cannot be built (its AMI secret is not
// readable) is refused as a whole and says why: the DPs keep the program
// they run (no voip table, no new port) and the recorded configuration
// stays. It used to be applied to the DPs, with the voice failure only
// logged.
func TestReloadIsAllOrNothing(t *testing.T) {
	a, path := startApp(t, goodConfig, 0)
	waitFor(t, "the config", func() bool { return a.Config() != nil })
	ctx := context.Background()
	running := a.Config()
	before, _, err := a.Manager().Program(ctx, 1)
	if err != nil || before == nil {
		t.Fatalf("Program: %v", err)
	}

	missing := filepath.Join(t.TempDir(), "no-such-secret")
	next := strings.Replace(goodConfig, "1: {native_vlan: office}", "1: {native_vlan: office}, 2: {native_vlan: office}", 1) +
		"voip:\n  asterisk:\n    pbx1: {host: 127.0.0.1, port: 1, username: u, secret_file: " + missing + "}\n"
	if err := os.WriteFile(path, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	err = a.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "voice service cannot start") || !strings.Contains(err.Error(), "no-such-secret") {
		t.Fatalf("Reload = %v; want the voice service's failure naming the secret file", err)
	}
	if a.Config() != running {
		t.Error("the recorded configuration changed")
	}
	after, _, err := a.Manager().Program(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Error("the DP runs a new program although the configuration was refused")
	}
	if a.Manager().Config() != running {
		t.Error("the DP manager records the refused configuration")
	}
}
