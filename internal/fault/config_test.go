package fault

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// replaceFile puts content at path in one step (a rename), replacing a
// symlink rather than writing through it, as an editor or a deployment
// tool would.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".new-"+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// linkDevZero makes path a symlink to /dev/zero.
func linkDevZero(t *testing.T, path string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".link-"+filepath.Base(path))
	if err := os.Symlink("/dev/zero", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// oversized is a valid configuration padded with comments to over 10 MB.
func oversized() string {
	line := "# " + strings.Repeat("padding ", 16) + "\n"
	return Config(1) + strings.Repeat(line, 10<<20/len(line)+1)
}

// waitRejected waits until the log holds n "configuration rejected"
// records and checks that the last says why, with every one of reasons.
func waitRejected(t *testing.T, p *Proc, n int, reasons ...string) {
	t.Helper()
	Eventually(t, 30*time.Second, "the configuration to be rejected", func() bool {
		return p.LogCount(`"msg":"configuration rejected"`) >= n
	})
	var last string
	for _, line := range strings.Split(p.Logs(), "\n") {
		if strings.Contains(line, `"msg":"configuration rejected"`) {
			last = line
		}
	}
	for _, r := range reasons {
		if !strings.Contains(last, r) {
			t.Errorf("the rejection does not say %q: %s", r, last)
		}
	}
}

// peakBelow checks that the process never held more than limit bytes.
func peakBelow(t *testing.T, p *Proc, limit uint64, what string) {
	t.Helper()
	if peak := p.PeakRSS(t); peak > limit {
		t.Errorf("peak RSS %d MB %s (bound %d MB)", peak>>20, what, limit>>20)
	}
}

// A configuration path that is a symlink to /dev/zero at start: before
// the bound the read grew the process to gigabytes. It is refused with a
// clear error, the process keeps running with its listeners, and once the
// file is fixed the configuration is loaded by itself and the switch
// served.
func TestConfigDevZeroAtStart(t *testing.T) {
	lab := ovslab.New(t)
	p := Start(t, Options{Config: Config(1), Prepare: func(_, cfg string) error {
		if err := os.Remove(cfg); err != nil {
			return err
		}
		return os.Symlink("/dev/zero", cfg)
	}})
	target := "tcp:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	waitRejected(t, p, 1, "not a regular file", "character device")
	time.Sleep(2 * time.Second) // the broken file is polled every second
	if !p.Alive() {
		t.Fatalf("voipsdn exited on a /dev/zero configuration:\n%s", tail(p.Logs(), 20))
	}
	peakBelow(t, p, 200<<20, "with a /dev/zero configuration")

	replaceFile(t, p.ConfigPath, Config(1))
	Eventually(t, 30*time.Second, "the fixed configuration in force", func() bool {
		return p.LogContains(`"msg":"configuration in force"`)
	})
	AssertServing(t, p, lab, "sw1", target)
}

// The configuration becomes a symlink to /dev/zero and the operator
// reloads (SIGHUP, three times): each reload is refused with a clear
// error, the running configuration stays (the switch keeps being served
// with its flows), and the process does not grow.
func TestConfigDevZeroOnReload(t *testing.T) {
	lab := ovslab.New(t)
	p := Start(t, Options{Config: Config(1)})
	target := "tcp:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	AssertServing(t, p, lab, "sw1", target)
	before := p.RSS(t)

	linkDevZero(t, p.ConfigPath)
	for i := 1; i <= 3; i++ {
		p.Reload(t)
		waitRejected(t, p, i, "not a regular file", `"running_config_kept":true`)
	}
	peakBelow(t, p, before+64<<20, "after reloads of a /dev/zero configuration")
	AssertServing(t, p, lab, "sw1", target)
}

// An oversized configuration (10 MB of comments after a valid config):
// refused at start and on reload with an error that names the limit and
// how to raise it; the process runs, recovers when the file is fixed,
// keeps the running configuration on the reload, and stays small.
func TestConfigOversized(t *testing.T) {
	lab := ovslab.New(t)
	big := oversized()
	p := Start(t, Options{Config: big})
	target := "tcp:" + p.OFAddr
	AddSwitch(t, lab, "sw1", 1, target)
	waitRejected(t, p, 1, "file too large", "VOIPSDN_CONFIG_MAX_BYTES")
	if !p.Alive() {
		t.Fatalf("voipsdn exited on an oversized configuration")
	}

	replaceFile(t, p.ConfigPath, Config(1))
	Eventually(t, 30*time.Second, "the fixed configuration in force", func() bool {
		return p.LogContains(`"msg":"configuration in force"`)
	})
	AssertServing(t, p, lab, "sw1", target)
	before := p.RSS(t)

	replaceFile(t, p.ConfigPath, big)
	p.Reload(t)
	waitRejected(t, p, 2, "file too large", `"running_config_kept":true`)
	peakBelow(t, p, max(before+64<<20, 200<<20), "with a 10 MB configuration")
	AssertServing(t, p, lab, "sw1", target)
}
