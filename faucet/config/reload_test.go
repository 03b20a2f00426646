package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeFile replaces path's content atomically, as configuration tools do:
// os.WriteFile truncates first, and a watcher polling meanwhile would read
// an empty file (rejected, which is right, but not what a test of a fix
// means to show).
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestReloadGoodChange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faucet.yaml")
	writeFile(t, path, minimal)
	r := NewReloader(path)
	first, err := r.Reload(context.Background())
	if err != nil || r.Current() == nil {
		t.Fatalf("first load: %v", err)
	}
	if len(first.DPs.Added) != 1 {
		t.Errorf("first load should add sw1: %+v", first.DPs)
	}
	writeFile(t, path, minimal+"      2: {native_vlan: office}\n")
	d, err := r.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dd := d.DP("sw1"); dd == nil || len(dd.Ports.Added) != 1 || dd.Ports.Added[0] != 2 {
		t.Fatalf("want port 2 added, got %+v", d)
	}
	if r.Current().DP("sw1").Port(2) == nil {
		t.Error("new config not in force")
	}
}

func TestReloadBadChangeKeepsRunning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faucet.yaml")
	writeFile(t, path, minimal)
	r := NewReloader(path)
	if _, err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	running := r.Current()
	writeFile(t, path, strings.Replace(minimal, "vid: 100", "vid: 9999", 1))
	d, err := r.Reload(context.Background())
	if err == nil || d != nil {
		t.Fatalf("bad config accepted: %v %v", d, err)
	}
	if !strings.Contains(err.Error(), "faucet.yaml:3:17: vlans.office.vid: invalid VID 9999") {
		t.Errorf("error does not locate the problem: %v", err)
	}
	if r.Current() != running {
		t.Error("running config replaced by a rejected one")
	}
}

func TestReloadApplyFailureKeepsRunning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faucet.yaml")
	writeFile(t, path, minimal)
	fail := false
	r := NewReloader(path, WithApply(func(_ context.Context, _, _ *Config, _ *ChangeSet) error {
		if fail {
			return os.ErrDeadlineExceeded
		}
		return nil
	}))
	if _, err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	running := r.Current()
	fail = true
	writeFile(t, path, minimal+"      2: {native_vlan: office}\n")
	if _, err := r.Reload(context.Background()); err == nil {
		t.Fatal("apply error not returned")
	}
	if r.Current() != running {
		t.Error("config committed although apply failed")
	}
}

func TestReloadDescriptionOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faucet.yaml")
	writeFile(t, path, minimal)
	r := NewReloader(path)
	if _, err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, strings.Replace(minimal, "{vid: 100}", "{vid: 100, description: \"new words\"}", 1))
	d, err := r.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !d.Empty() || len(d.Cosmetic) != 1 {
		t.Errorf("description change: empty=%v cosmetic=%v", d.Empty(), d.Cosmetic)
	}
	if r.Current().DP("sw1").VLAN(100).Description != "new words" {
		t.Error("new description not in force")
	}
}

func TestReloadBadAtStartRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faucet.yaml")
	writeFile(t, path, "dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}\n")
	r := NewReloader(path)
	if _, err := r.Reload(context.Background()); err == nil {
		t.Fatal("bad config accepted")
	}
	if r.Current() != nil {
		t.Fatal("a config is running after a bad start")
	}
	if r.Changed() {
		t.Error("nothing changed since the failed load")
	}

	var mu sync.Mutex
	var events []ReloadEvent
	got := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.Watch(ctx, 10*time.Millisecond, func(ev ReloadEvent) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
			got <- struct{}{}
		})
	}()
	writeFile(t, path, minimal)
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not reload after the file was fixed")
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if events[0].Err != nil || events[0].Changes == nil {
		t.Fatalf("reload after fix failed: %v", events[0].Err)
	}
	if r.Current() == nil || r.Current().DP("sw1") == nil {
		t.Fatal("did not recover")
	}
}

func TestWatchSeesIncludedFilesAndOptionalCreation(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"faucet.yaml": "include: [vlans.yaml]\ninclude-optional: [extra.yaml]\n" + strings.Replace(minimal, "vlans:\n  office: {vid: 100}\n", "", 1),
		"vlans.yaml":  "vlans: {office: {vid: 100}}\n",
	})
	r := NewReloader(filepath.Join(dir, "faucet.yaml"))
	if _, err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.Changed() {
		t.Fatal("changed right after load")
	}
	writeFile(t, filepath.Join(dir, "vlans.yaml"), "vlans: {office: {vid: 101}}\n")
	if !r.Changed() {
		t.Error("change of an included file not seen")
	}
	if _, err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "extra.yaml"), "meters: {}\n")
	if !r.Changed() {
		t.Error("creation of a missing optional include not seen")
	}
}
