package ovslab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// DefaultLockPath is the machine-wide lock every lab holds from Start to
// Close. /run/lock is preferred over /tmp because tests that give themselves
// a private /tmp (unshare --mount) still share /run.
func DefaultLockPath() string {
	if st, err := os.Stat("/run/lock"); err == nil && st.IsDir() {
		return "/run/lock/voipsdn-ovslab.lock"
	}
	return "/tmp/voipsdn-ovslab.lock"
}

// fileLock is an exclusive flock(2) on a file. flock locks belong to the open
// file description, so two labs in one process exclude each other as well.
type fileLock struct {
	f *os.File
}

// acquireLock blocks until the lock is held or ctx ends. It polls instead of
// blocking in flock(2) so that a cancelled context is honoured promptly.
func acquireLock(ctx context.Context, path string, logf func(string, ...any)) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("ovslab: lock %s: %w", path, err)
	}
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			// Record the holder for humans debugging a stuck lock.
			_ = f.Truncate(0)
			_, _ = f.WriteAt(fmt.Appendf(nil, "pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339)), 0)
			return &fileLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("ovslab: flock %s: %w", path, err)
		}
		if !logged {
			holder, _ := os.ReadFile(path)
			logf("ovslab: waiting for lock %s (held by %s)", path, trimSpace(string(holder)))
			logged = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("ovslab: waiting for lock %s: %w", path, context.Cause(ctx))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *fileLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
