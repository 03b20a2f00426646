package ovslab

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// setnsTrap is the setns(2) syscall number; package syscall does not export
// it for every architecture.
var setnsTrap = map[string]uintptr{
	"amd64": 308, "arm64": 268, "riscv64": 268, "386": 346, "arm": 375, "ppc64le": 350, "s390x": 339,
}

func setns(fd uintptr) error {
	trap, ok := setnsTrap[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: unsupported architecture %s", runtime.GOARCH)
	}
	if _, _, e := syscall.RawSyscall(trap, fd, syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

// Do runs fn on an OS thread that has entered the host's network namespace.
// Sockets created by fn belong to the namespace for their whole life and
// may be used from any goroutine afterwards. fn must not start goroutines
// that expect to be in the namespace.
func (h *Host) Do(fn func() error) error {
	return inNetns("/run/netns/"+h.NS, fn)
}

func inNetns(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("ovslab: netns: %w", err)
			return
		}
		defer orig.Close()
		target, err := os.Open(path)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("ovslab: netns: %w", err)
			return
		}
		defer target.Close()
		if err := setns(target.Fd()); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("ovslab: enter netns %s: %w", path, err)
			return
		}
		ferr := fn()
		if err := setns(orig.Fd()); err != nil {
			// Leave the thread locked: the runtime destroys it when this
			// goroutine exits, so no other goroutine runs in the wrong
			// namespace.
			errc <- fmt.Errorf("ovslab: leave netns %s: %w", path, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
