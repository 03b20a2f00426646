package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// loadSoon runs Load with a deadline: a read that blocks (a FIFO opened
// for reading) or never ends (/dev/zero) fails the test instead of
// hanging it.
func loadSoon(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Load(path)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Load(%s) did not return", path)
		return nil
	}
}

func wantReadError(t *testing.T, err error, file, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s accepted", file)
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot read "+file) || !strings.Contains(msg, what) {
		t.Fatalf("error should name %s and say %q:\n%v", file, what, err)
	}
}

func TestConfigSymlinkToDevZeroRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	wantReadError(t, loadSoon(t, path), path, "not a regular file (it is a character device)")
}

func TestConfigFIFORefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	wantReadError(t, loadSoon(t, path), path, "not a regular file (it is a FIFO)")
}

func TestConfigOversizedRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	// Valid YAML (a comment) one byte over the default limit.
	big := append([]byte("#"), make([]byte, DefaultMaxFileBytes)...)
	for i := 1; i < len(big); i++ {
		big[i] = 'x'
	}
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	wantReadError(t, loadSoon(t, path), path, "over the limit of 4194304 bytes (raise it with VOIPSDN_CONFIG_MAX_BYTES)")

	// The limit is configurable: raised, the same file loads as far as
	// its content (a comment only: an empty config).
	t.Setenv(MaxFileBytesEnv, "5000000")
	err := loadSoon(t, path)
	if err == nil || !strings.Contains(err.Error(), "config file is empty") {
		t.Fatalf("with a raised limit the file should be read: %v", err)
	}
	t.Setenv(MaxFileBytesEnv, "lots")
	wantReadError(t, loadSoon(t, path), path, `VOIPSDN_CONFIG_MAX_BYTES="lots" is not a positive number of bytes`)
}

func TestConfigOversizedIncludeRefused(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "faucet.yaml")
	writeFile(t, main, "include: [acls.yaml]\n"+minimal)
	writeFile(t, filepath.Join(dir, "acls.yaml"), "acls:\n  a:\n    - rule: {actions: {allow: true}}\n"+strings.Repeat("# padding\n", 200))
	t.Setenv(MaxFileBytesEnv, "1000")
	err := loadSoon(t, main)
	wantReadError(t, err, filepath.Join(dir, "acls.yaml"), "over the limit of 1000 bytes")
	if !strings.Contains(err.Error(), main+":2:") && !strings.Contains(err.Error(), main+":1:") {
		t.Errorf("error should point at the include entry in %s:\n%v", main, err)
	}
	// An include that is a symlink to a device is refused the same way.
	inc := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", inc); err != nil {
		t.Fatal(err)
	}
	writeFile(t, main, "include: [zero.yaml]\n"+minimal)
	wantReadError(t, loadSoon(t, main), inc, "not a regular file")
}

// A file whose size the kernel reports as 0 but which has content (procfs)
// stands for one that grows between the stat and the read: the read itself
// stops at the limit.
func TestReadFileBoundsTheRead(t *testing.T) {
	const path = "/proc/self/status"
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		t.Skipf("%s is not a zero-size regular file here", path)
	}
	_, err = readFileLimit(path, 16)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("read past the limit: %v", err)
	}
	if data, err := readFileLimit(path, 1<<20); err != nil || len(data) == 0 {
		t.Fatalf("within the limit: %d bytes, %v", len(data), err)
	}
}

// On reload, a config that became a symlink to /dev/zero or grew past the
// limit is refused and the running config stays; the watcher's change
// check does not read it whole either.
func TestReloadRefusesUnboundedFileKeepsRunning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faucet.yaml")
	writeFile(t, path, minimal)
	r := NewReloader(path)
	if _, err := r.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	running := r.Current()

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	if !r.Changed() {
		t.Error("the swap to /dev/zero should count as a change")
	}
	_, err := r.Reload(context.Background())
	wantReadError(t, err, path, "not a regular file")
	if r.Current() != running {
		t.Fatal("running config replaced by a refused one")
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	t.Setenv(MaxFileBytesEnv, "200")
	writeFile(t, path, minimal+strings.Repeat("# padding\n", 30))
	_, err = r.Reload(context.Background())
	wantReadError(t, err, path, "over the limit of 200 bytes")
	if r.Current() != running {
		t.Fatal("running config replaced by a refused one")
	}
}
