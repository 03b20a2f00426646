package ovslab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// daemon is an OVS process run in the foreground as our child, so that it
// dies with the test process (see keeper) and we reap it ourselves.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

func (l *Lab) startDaemon(name string, args ...string) (*daemon, error) {
	out, err := os.OpenFile(filepath.Join(l.dir, name+".out"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ovslab: %w", err)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = l.env
	cmd.Dir = l.dir
	cmd.Stdout = out
	cmd.Stderr = out
	if err := l.keep.start(cmd); err != nil {
		out.Close()
		return nil, &CmdError{Args: cmd.Args, Err: err}
	}
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(d.done)
	}()
	return d, nil
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// waitExit waits up to timeout, then kills the process group.
func (d *daemon) waitExit(timeout time.Duration) {
	select {
	case <-d.done:
		return
	case <-time.After(timeout):
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	_ = syscall.Kill(d.cmd.Process.Pid, syscall.SIGCONT)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
	}
}

// permanentError stops poll at once.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// poll calls f every 20ms until it returns nil or a permanentError, or ctx
// ends.
func poll(ctx context.Context, what string, f func() error) error {
	var last error
	for {
		if last = f(); last == nil {
			return nil
		}
		if p, ok := last.(permanentError); ok {
			return fmt.Errorf("ovslab: waiting for %s: %w", what, p.error)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ovslab: waiting for %s: %w (last error: %v)", what, context.Cause(ctx), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (l *Lab) startOVS(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx, l.opts.CommandTimeout)
	defer cancel()
	db := filepath.Join(l.dir, "conf.db")
	if _, err := l.run(ctx, "ovsdb-tool", "create", db, schemaPath); err != nil {
		return err
	}
	sock := filepath.Join(l.dir, "db.sock")
	d, err := l.startDaemon("ovsdb-server", db, "--remote=punix:"+sock, "--pidfile", "--log-file", "-vconsole:off")
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.ovsdb = d
	l.mu.Unlock()
	if err := poll(ctx, "ovsdb-server socket", func() error {
		if d.exited() {
			return errors.New("ovsdb-server exited; see " + filepath.Join(l.dir, "ovsdb-server.log"))
		}
		_, err := os.Stat(sock)
		return err
	}); err != nil {
		return err
	}
	if _, err := l.run(ctx, "ovs-vsctl", "--no-wait", "init"); err != nil {
		return err
	}
	return l.startVswitchd(ctx)
}

func (l *Lab) startVswitchd(ctx context.Context) error {
	d, err := l.startDaemon("ovs-vswitchd", "unix:"+filepath.Join(l.dir, "db.sock"),
		"--pidfile", "--log-file", "-vconsole:off", "--disable-system")
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.vswitchd = d
	l.paused = false
	l.mu.Unlock()
	err = poll(ctx, "ovs-vswitchd", func() error {
		if d.exited() {
			return permanentError{errors.New("ovs-vswitchd exited; see " + filepath.Join(l.dir, "ovs-vswitchd.log"))}
		}
		_, err := l.run(ctx, "ovs-appctl", "--timeout=2", "-t", "ovs-vswitchd", "version")
		return err
	})
	if err != nil {
		return err
	}
	// Answering appctl is not the same as having built the bridges from
	// the database (after a restart). A write without --no-wait returns
	// only once ovs-vswitchd has applied the configuration.
	_, err = l.run(ctx, "ovs-vsctl", "--timeout="+secs(l.opts.CommandTimeout), "set", "Open_vSwitch", ".",
		fmt.Sprintf("external_ids:ovslab-vswitchd-pid=%d", d.cmd.Process.Pid))
	return err
}

// stopOVS stops ovs-vswitchd with --cleanup (removing the bridges' tap
// devices) and ovsdb-server, killing either if it does not exit in time.
func (l *Lab) stopOVS(ctx context.Context) error {
	l.mu.Lock()
	vs, db, paused := l.vswitchd, l.ovsdb, l.paused
	l.paused = false
	l.mu.Unlock()
	var errs []error
	if vs != nil && !vs.exited() {
		if paused {
			_ = vs.cmd.Process.Signal(syscall.SIGCONT)
		}
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := l.runNoTimeout(c, "ovs-appctl", "--timeout=10", "-t", "ovs-vswitchd", "exit", "--cleanup")
		cancel()
		if err != nil {
			l.logf("ovslab: stopping ovs-vswitchd: %v", err)
		}
		vs.waitExit(5 * time.Second)
	}
	if db != nil && !db.exited() {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := l.runNoTimeout(c, "ovs-appctl", "--timeout=5", "-t", "ovsdb-server", "exit")
		cancel()
		if err != nil {
			l.logf("ovslab: stopping ovsdb-server: %v", err)
		}
		db.waitExit(3 * time.Second)
	}
	return errors.Join(errs...)
}

// VswitchdPID returns the pid of the running ovs-vswitchd.
func (l *Lab) VswitchdPID() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vswitchd == nil || l.vswitchd.exited() {
		return 0
	}
	return l.vswitchd.cmd.Process.Pid
}

// PauseVswitchd stops ovs-vswitchd with SIGSTOP: the switch keeps its TCP
// connections open but stops answering (echo timeouts, stalled barriers).
func (l *Lab) PauseVswitchd() error { return l.signalVswitchd(syscall.SIGSTOP, true) }

// ResumeVswitchd undoes PauseVswitchd with SIGCONT.
func (l *Lab) ResumeVswitchd() error { return l.signalVswitchd(syscall.SIGCONT, false) }

func (l *Lab) signalVswitchd(sig syscall.Signal, paused bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vswitchd == nil || l.vswitchd.exited() {
		return errors.New("ovslab: ovs-vswitchd is not running")
	}
	if err := l.vswitchd.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("ovslab: signal ovs-vswitchd: %w", err)
	}
	l.paused = paused
	return nil
}

// RestartVswitchd stops ovs-vswitchd (without --cleanup, as a crash or
// upgrade would) and starts it again. Bridges, ports and controllers come
// back from the database; flows, groups and meters are lost.
func (l *Lab) RestartVswitchd(ctx context.Context) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	l.mu.Lock()
	vs, paused := l.vswitchd, l.paused
	l.mu.Unlock()
	if vs != nil && !vs.exited() {
		if paused {
			_ = vs.cmd.Process.Signal(syscall.SIGCONT)
		}
		c, cancel := withTimeout(ctx, 10*time.Second)
		_, err := l.runNoTimeout(c, "ovs-appctl", "--timeout=10", "-t", "ovs-vswitchd", "exit")
		cancel()
		if err != nil {
			l.logf("ovslab: restart: %v", err)
		}
		vs.waitExit(5 * time.Second)
	}
	ctx, cancel := withTimeout(ctx, l.opts.CommandTimeout)
	defer cancel()
	return l.startVswitchd(ctx)
}

// KillVswitchd kills ovs-vswitchd with SIGKILL (a crash) without restarting it.
func (l *Lab) KillVswitchd() error {
	l.mu.Lock()
	vs := l.vswitchd
	l.mu.Unlock()
	if vs == nil || vs.exited() {
		return errors.New("ovslab: ovs-vswitchd is not running")
	}
	_ = syscall.Kill(-vs.cmd.Process.Pid, syscall.SIGKILL)
	<-vs.done
	return nil
}

// StartVswitchd starts ovs-vswitchd again after KillVswitchd.
func (l *Lab) StartVswitchd(ctx context.Context) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, l.opts.CommandTimeout)
	defer cancel()
	return l.startVswitchd(ctx)
}
