package app

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// A reload (SIGHUP's path) of a config that became a symlink to /dev/zero,
// or grew past the size limit, is refused with an error naming the file;
// the running config stays and the DP is still served.
func TestReloadRefusesUnboundedConfig(t *testing.T) {
	a, path := startApp(t, goodConfig, 0)
	waitFor(t, "the config", func() bool { return a.Config() != nil })
	running := a.Config()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	err := a.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot read "+path+": not a regular file") {
		t.Fatalf("reload of a /dev/zero config: %v", err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.MaxFileBytesEnv, "100")
	if err := os.WriteFile(path, []byte(goodConfig+strings.Repeat("# padding\n", 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	err = a.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot read "+path+": file too large: over the limit of 100 bytes") {
		t.Fatalf("reload of an oversized config: %v", err)
	}
	if a.Config() != running {
		t.Error("the running config was replaced by a refused one")
	}
	if !a.Manager().Accepts(1) {
		t.Error("the running config's DP is no longer served")
	}
}
