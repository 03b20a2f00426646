package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodConfig = "vlans: {office: {vid: 100}}\ndps: {sw1: {dp_id: 1, hardware: Open vSwitch, interfaces: {1: {native_vlan: office}}}}\n"

// startApp runs an App on loopback ports with the config file's content.
func startApp(t *testing.T, content string, watch time.Duration) (*App, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{ConfigPath: path, OFListen: "127.0.0.1:0", PromListen: "127.0.0.1:0", Watch: watch})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return a, path
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A broken file at start-up leaves the controller running and reporting
// the error; fixing the file is enough to recover, without a SIGHUP.
func TestBadConfigAtStartRecovers(t *testing.T) {
	a, path := startApp(t, "dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: nosuch}}}}\n", 0)
	waitFor(t, "the load error", func() bool { return a.LastError() != nil })
	if a.Config() != nil {
		t.Fatal("a broken config was loaded")
	}
	if !strings.Contains(a.LastError().Error(), "nosuch") {
		t.Errorf("error %q does not name the bad VLAN", a.LastError())
	}
	if err := os.WriteFile(path, []byte(goodConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "recovery", func() bool { return a.Config() != nil })
	if a.LastError() != nil {
		t.Errorf("LastError after recovery: %v", a.LastError())
	}
	if !a.Manager().Accepts(1) {
		t.Error("the recovered config's DP is not accepted")
	}
}

// A reload to a broken or unsupported config is refused; the running one
// stays.
func TestReloadRejectsBadAndUnsupported(t *testing.T) {
	a, path := startApp(t, goodConfig, 0)
	waitFor(t, "the config", func() bool { return a.Config() != nil })
	ctx := context.Background()
	running := a.Config()

	if err := os.WriteFile(path, []byte("dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: nosuch}}}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err == nil {
		t.Error("broken config accepted")
	}
	dot1x := "vlans: {office: {vid: 100}}\ndps: {sw1: {dp_id: 1, hardware: Open vSwitch, " +
		"dot1x: {nfv_intf: lo, nfv_sw_port: 2, radius_ip: 127.0.0.1, radius_port: 1812, radius_secret: s}, " +
		"interfaces: {1: {native_vlan: office, dot1x: true}, 2: {output_only: true}}}}\n"
	if err := os.WriteFile(path, []byte(dot1x), 0o644); err != nil {
		t.Fatal(err)
	}
	err := a.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "not supported yet: 802.1X at dps.sw1.interfaces.1.dot1x") {
		t.Errorf("unsupported feature: err = %v; want \"not supported yet: 802.1X at dps.sw1.interfaces.1.dot1x\"", err)
	}
	if a.Config() != running {
		t.Error("the running config was replaced by a rejected one")
	}
}

// With Watch, editing the file is enough to reload.
func TestWatchReloads(t *testing.T) {
	a, path := startApp(t, goodConfig, 50*time.Millisecond)
	waitFor(t, "the config", func() bool { return a.Config() != nil })
	first := a.Config()
	two := strings.Replace(goodConfig, "1: {native_vlan: office}", "1: {native_vlan: office}, 2: {native_vlan: office}", 1)
	if err := os.WriteFile(path, []byte(two), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watched reload", func() bool { return a.Config() != first })
	if a.Config().DP("sw1").Port(2) == nil {
		t.Error("the reloaded config lacks port 2")
	}
}

// /metrics serves Faucet's metrics read from the running state.
func TestMetricsServed(t *testing.T) {
	a, _ := startApp(t, goodConfig, 0)
	waitFor(t, "the config", func() bool { return a.Config() != nil })
	resp, err := http.Get("http://" + a.PromAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go_goroutines", "faucet_config_load_error 0", `dp_status{dp_id="0x1",dp_name="sw1"} 0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q in:\n%s", want, body)
		}
	}
}
