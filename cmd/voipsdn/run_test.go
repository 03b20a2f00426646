package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OpenFlow TLS needs all three files; the dpid binding needs TLS. Either
// mistake stops the controller at start with a clear message instead of
// running without the protection asked for.
func TestRunTLSFlagsIncomplete(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "faucet.yaml")
	if err := os.WriteFile(cfg, []byte("dps: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--config", cfg, "--of-listen", "127.0.0.1:0", "--prom-listen", "off"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ctl-cert", filepath.Join(dir, "c.pem")}, "are all required"},
		{[]string{"--of-bind-dpid"}, "--of-bind-dpid needs OpenFlow TLS"},
		{[]string{"--ctl-cert", "c", "--ctl-privkey", "k", "--ca-certs", filepath.Join(dir, "nosuch.pem")}, "certificate"},
	} {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append(base, c.args...), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
}
