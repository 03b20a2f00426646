package ovslab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const schemaPath = "/usr/share/openvswitch/vswitch.ovsschema"

// requiredTools lists the programs a lab needs, by Debian package (see
// scripts/install-deps.sh, or run `make deps`).
var requiredTools = []string{
	"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl", // openvswitch-switch, openvswitch-common
	"ip",      // iproute2
	"ethtool", // ethtool
	"ping",    // iputils-ping
	"sysctl",  // procps
	"tcpdump", // tcpdump
}

// Available reports why a lab cannot run here, or nil if it can.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("ovslab: needs root (network namespaces, veth, tap devices)")
	}
	var missing []string
	for _, t := range requiredTools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("ovslab: missing programs %s (install the packages in scripts/install-deps.sh, or run `make deps`)", strings.Join(missing, ", "))
	}
	if _, err := os.Stat(schemaPath); err != nil {
		return fmt.Errorf("ovslab: OVS schema: %w", err)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return fmt.Errorf("ovslab: userspace datapath needs /dev/net/tun: %w", err)
	}
	return nil
}

// inCI reports whether the CI environment variable asks for strictness.
func inCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// TB is the part of testing.TB the lab uses. Programs other than tests
// can implement it; most should use Start and Close instead.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Cleanup(func())
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Failed() bool
}

// Require skips the test when a lab cannot run here (not root, OVS or tools
// missing) or in -short mode. With CI set (CI=true) a missing prerequisite
// fails the test instead: CI must run the integration tests.
func Require(t TB) {
	t.Helper()
	if testing.Testing() && testing.Short() {
		t.Skipf("ovslab: integration test skipped in -short mode")
	}
	if err := Available(); err != nil {
		if inCI() {
			t.Fatalf("%v (CI is set: integration tests must run)", err)
		}
		t.Skipf("%v", err)
	}
}

// New is Require plus Start with defaults, logging to t, and Close
// registered with t.Cleanup (which also runs when the test fails or
// panics). Start errors fail the test.
func New(t TB) *Lab {
	t.Helper()
	return NewWith(t, Options{})
}

// NewWith is New with options. Logf defaults to t.Logf.
func NewWith(t TB, opts Options) *Lab {
	t.Helper()
	Require(t)
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	// Starting includes waiting for the lock, which other packages' labs
	// may hold for long: wait until shortly before the test's deadline.
	wait := 10 * time.Minute
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			wait = max(time.Until(dl)-30*time.Second, 10*time.Second)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	l, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			l.logTail("ovs-vswitchd.log", 30)
		}
		keep := t.Failed() && opts.KeepOnFailure
		l.closeOnce.Do(func() { l.closeErr = l.close(keep) })
		if l.closeErr != nil {
			t.Logf("ovslab: close: %v", l.closeErr)
		}
	})
	return l
}

// logTail logs the last n lines of an OVS log in the lab directory.
func (l *Lab) logTail(name string, n int) {
	b, err := os.ReadFile(filepath.Join(l.dir, name))
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	l.logf("ovslab: last lines of %s:\n%s", name, strings.Join(lines, "\n"))
}
