package ovslab_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// leftovers lists what a lab with this id and dir would leave behind.
func leftovers(t *testing.T, id, dir string) []string {
	t.Helper()
	var left []string
	out, err := exec.Command("ip", "netns", "list").Output()
	noErr(t, err)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "-"+id+"-") {
			left = append(left, "netns "+l)
		}
	}
	out, err = exec.Command("ip", "-o", "link", "show").Output()
	noErr(t, err)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "vl"+id+"-") {
			left = append(left, "link "+l)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), dir) {
			left = append(left, "process "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	if _, err := os.Stat(dir); err == nil {
		left = append(left, "dir "+dir)
	}
	return left
}

// Close removes processes, namespaces, links (including tag bridges, tap
// devices and paused daemons) and the directory, and releases the lock.
func TestCloseLeavesNothing(t *testing.T) {
	ovslab.Require(t)
	// Other packages' labs may hold the lock for a while.
	lockCtx, cancelLock := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancelLock()
	lab, err := ovslab.Start(lockCtx, ovslab.Options{Logf: t.Logf})
	noErr(t, err)
	ctx := testCtx(t)
	id, dir := lab.ID(), lab.Dir()
	closed := false
	t.Cleanup(func() {
		if !closed {
			lab.Close()
		}
	})
	must[*ovslab.Bridge](t)(lab.AddBridge("br0", 1, ovslab.Standalone()))
	h1 := must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "br0", OFPort: 1, Addrs: []string{"10.0.0.1/24"}}))
	must[*ovslab.Host](t)(lab.AddTaggedHost(ovslab.HostSpec{Name: "h2", Bridge: "br0", OFPort: 2, Addrs: []string{"10.0.0.2/24"}}, 10))
	must[*ovslab.Port](t)(lab.AddPort("br0", 3))
	must[*ovslab.Capture](t)(h1.Capture(ctx, "", ""))
	must[*ovslab.Capture](t)(lab.Capture(ctx, h1.Port.Name, ""))
	must[*ovslab.Receiver](t)(h1.ReceiveUDP(":5004"))
	// A background process inside a namespace would keep it alive.
	must[string](t)(h1.Exec(ctx, "sh", "-c", "sleep 600 >/dev/null 2>&1 &"))
	if left := leftovers(t, id, dir); len(left) < 5 {
		t.Fatalf("leftovers check sees too little before Close (%v): it cannot fail", left)
	}
	noErr(t, lab.PauseVswitchd()) // Close must cope with a stopped daemon
	start := time.Now()
	noErr(t, lab.Close())
	closed = true
	t.Logf("close took %v", time.Since(start))
	if left := leftovers(t, id, dir); len(left) > 0 {
		t.Errorf("after Close:\n%s", strings.Join(left, "\n"))
	}
	noErr(t, lab.Close()) // idempotent
	if _, err := lab.AddBridge("br1", 2); err == nil {
		t.Error("AddBridge on a closed lab succeeded")
	}
	// The lock is released: free, or already taken by another process.
	assertLockNotHeldBySelf(t)
}

func assertLockNotHeldBySelf(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(ovslab.DefaultLockPath(), os.O_RDWR, 0)
	noErr(t, err)
	defer f.Close()
	self := fmt.Sprintf("pid %d ", os.Getpid())
	deadline := time.Now().Add(5 * time.Second)
	for {
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			return
		}
		holder, _ := os.ReadFile(ovslab.DefaultLockPath())
		// A new holder writes its pid just after taking the lock.
		if len(holder) > 0 && !strings.HasPrefix(string(holder), self) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lock still held after Close (%q)", holder)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A second lab waits for the first: here it gives up when its context ends.
func TestLockSerialisesLabs(t *testing.T) {
	lab := ovslab.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	lab2, err := ovslab.Start(ctx, ovslab.Options{})
	if err == nil {
		lab2.Close()
		t.Fatal("second lab started while the first holds the lock")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want a deadline error, got %v", err)
	}
	_ = lab
}

// Objects that look like a crashed lab's are removed by the next Start;
// others are not.
func TestStartRemovesStaleObjects(t *testing.T) {
	ovslab.Require(t)
	const ns, link, peer, foreign, foreignPeer = "vsdnlab-zz9z-h1", "vlzz9z-v1", "vlzz9z-w1", "vlanzz9z", "vlanzz9y"
	dir := filepath.Join("/tmp", "voipsdn-ovslab-zz9z")
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", ns).Run()
		_ = exec.Command("ip", "link", "del", link).Run()
		_ = exec.Command("ip", "link", "del", foreign).Run()
		_ = os.RemoveAll(dir)
	})
	// Hold the lab lock while faking the crash, so that another package's
	// lab does not clean up half of it.
	lock, err := os.OpenFile(ovslab.DefaultLockPath(), os.O_RDWR|os.O_CREATE, 0o666)
	noErr(t, err)
	t.Cleanup(func() { lock.Close() })
	noErr(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	run("ip", "netns", "add", ns)
	run("ip", "link", "add", link, "type", "veth", "peer", "name", peer)
	run("ip", "link", "add", foreign, "type", "veth", "peer", "name", foreignPeer)
	noErr(t, os.MkdirAll(dir, 0o700))
	// A daemon of the crashed lab, detached as if its parent died.
	run("ovsdb-tool", "create", dir+"/conf.db", "/usr/share/openvswitch/vswitch.ovsschema")
	run("ovsdb-server", dir+"/conf.db", "--remote=punix:"+dir+"/db.sock", "--detach", "--pidfile="+dir+"/db.pid",
		"--unixctl="+dir+"/db.ctl", "--log-file="+dir+"/db.log")
	lock.Close() // releases the flock
	ovslab.New(t)
	if left := leftovers(t, "zz9z", dir); len(left) > 0 {
		t.Errorf("stale objects survived Start:\n%s", strings.Join(left, "\n"))
	}
	if err := exec.Command("ip", "link", "show", foreign).Run(); err != nil {
		t.Errorf("Start removed %s, which is not ours", foreign)
	}
}
