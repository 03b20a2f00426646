package ovslab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// CmdError is returned when a command run by the lab fails. It carries the
// full command line and its stderr so test failures explain themselves.
type CmdError struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *CmdError) Error() string {
	msg := fmt.Sprintf("ovslab: %s: %v", strings.Join(e.Args, " "), e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func (e *CmdError) Unwrap() error { return e.Err }

// withTimeout bounds ctx by d unless ctx already ends sooner.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// run executes argv with the lab's OVS environment, bounded by the lab's
// command timeout, and returns its stdout.
func (l *Lab) run(ctx context.Context, argv ...string) (string, error) {
	ctx, cancel := withTimeout(ctx, l.opts.CommandTimeout)
	defer cancel()
	return l.runNoTimeout(ctx, argv...)
}

// runNoTimeout is run without the default bound, for callers that pass their
// own deadline (Exec, Ping).
func (l *Lab) runNoTimeout(ctx context.Context, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = l.env
	cmd.WaitDelay = 2 * time.Second // don't hang on pipes inherited by stray children
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if l.opts.Verbose {
		l.logf("ovslab: run %s", strings.Join(argv, " "))
	}
	err := cmd.Run()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return stdout.String(), &CmdError{Args: argv, Stderr: stderr.String(), Err: err}
	}
	return stdout.String(), nil
}

// bg returns the lab's base context, cancelled by Close.
func (l *Lab) bg() context.Context { return l.ctx }

// vsctl runs ovs-vsctl against the lab's database.
func (l *Lab) vsctl(args ...string) (string, error) {
	return l.run(l.bg(), append([]string{"ovs-vsctl", "--timeout=" + secs(l.opts.CommandTimeout)}, args...)...)
}

func secs(d time.Duration) string { return fmt.Sprint(int(d.Seconds() + 0.999)) }

// keeper owns one locked OS thread from which all long-lived child processes
// (OVS daemons, tcpdump) are started. They are started with PR_SET_PDEATHSIG,
// which fires when the *thread* that forked them exits; pinning that thread
// means they die exactly when the test process dies or the lab is closed,
// never earlier because the Go runtime retired an idle thread.
type keeper struct {
	reqs chan func()
	done chan struct{}
}

func newKeeper() *keeper {
	k := &keeper{reqs: make(chan func()), done: make(chan struct{})}
	go func() {
		defer close(k.done)
		runtime.LockOSThread()
		// Never unlocked: when this goroutine returns the thread exits and
		// the kernel sends SIGKILL to any child still alive.
		for f := range k.reqs {
			f()
		}
	}()
	return k
}

// start starts cmd on the keeper thread.
func (k *keeper) start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true
	errc := make(chan error, 1)
	select {
	case k.reqs <- func() { errc <- cmd.Start() }:
	case <-k.done:
		return errors.New("ovslab: lab is closed")
	}
	return <-errc
}

// stop retires the keeper thread, killing any child started from it.
func (k *keeper) stop() {
	close(k.reqs)
	<-k.done
}

func trimSpace(s string) string { return strings.TrimSpace(s) }
