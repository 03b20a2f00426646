package mininet

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needLab skips (or under CI=true fails) when the lab cannot run here.
func needLab(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, bin := range []string{"unshare", "ovs-vswitchd", "ovsdb-server", "/usr/bin/python3"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import mininet").Run(); err != nil {
		missing = append(missing, "python3 mininet")
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("lab needs %s (CI=true: not skipping)", strings.Join(missing, ", "))
	}
	t.Skipf("lab needs %s", strings.Join(missing, ", "))
}

func runBox(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./run-in-box.sh", args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTopologiesInBox brings each topology up in the box with standalone
// switches and checks hosts reach each other inside each VLAN.
func TestTopologiesInBox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Open vSwitch and Mininet")
	}
	needLab(t)
	for _, topo := range []string{"office.py", "campus.py"} {
		t.Run(topo, func(t *testing.T) {
			out, err := runBox(t, topo, "--standalone")
			if err != nil || !strings.Contains(out, "reachability: ok") {
				t.Fatalf("%s: %v\n%s", topo, err, out)
			}
		})
	}
}

// TestBoxReportsUnreachable checks the check can fail: secure switches
// with no controller forward nothing.
func TestBoxReportsUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Open vSwitch and Mininet")
	}
	needLab(t)
	out, err := runBox(t, "office.py", "--controller", "127.0.0.1:1")
	if err == nil || !strings.Contains(out, "reachability: FAILED") {
		t.Fatalf("no controller, yet: %v\n%s", err, out)
	}
}
