package ovslab

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure Start. The zero value is usable.
type Options struct {
	// Logf receives progress and diagnostic lines. Nil discards them.
	Logf func(format string, args ...any)
	// Verbose logs every command the lab runs.
	Verbose bool
	// BaseDir holds the lab's private directory (default /tmp). Keep it short:
	// OVS puts unix sockets there (108-byte path limit).
	BaseDir string
	// LockPath overrides DefaultLockPath. Only for tests of the lock itself.
	LockPath string
	// CommandTimeout bounds every configuration command (default 20s).
	CommandTimeout time.Duration
	// KeepOnFailure leaves the directory (OVS logs, database) in place
	// when Close is called after a failed test (New only).
	KeepOnFailure bool
}

// Lab is one private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace
// datapath) plus the namespace hosts and links attached to it. All methods
// are safe for concurrent use.
type Lab struct {
	opts   Options
	id     string // 4 chars, unique among live labs
	prefix string // "vl<id>-": every interface this lab creates starts with it
	dir    string
	env    []string
	lock   *fileLock
	keep   *keeper

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu       sync.Mutex
	ovsdb    *daemon
	vswitchd *daemon
	paused   bool
	bridges  map[string]*Bridge // by logical name
	hosts    map[string]*Host
	ports    []*Port
	counter  int
	closers  []func() // LIFO, run by Close before OVS stops
	closed   bool

	closeOnce sync.Once
	closeErr  error
}

const (
	dirPrefix   = "voipsdn-ovslab-"
	netnsPrefix = "vsdnlab-"
	ifPrefix    = "vl" // + 4-char id + "-"
)

// Start acquires the machine-wide lock, removes leftovers of crashed labs,
// and starts a private ovsdb-server and ovs-vswitchd. The caller must call
// Close. ctx bounds only the start-up (including waiting for the lock).
func Start(ctx context.Context, opts Options) (_ *Lab, err error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.BaseDir == "" {
		opts.BaseDir = "/tmp"
	}
	if opts.LockPath == "" {
		opts.LockPath = DefaultLockPath()
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 20 * time.Second
	}
	if err := Available(); err != nil {
		return nil, err
	}
	lock, err := acquireLock(ctx, opts.LockPath, opts.Logf)
	if err != nil {
		return nil, err
	}
	l := &Lab{
		opts:    opts,
		lock:    lock,
		bridges: map[string]*Bridge{},
		hosts:   map[string]*Host{},
	}
	l.ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	l.env = os.Environ()
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	// Holding the lock, no other lab is alive: everything with our
	// prefixes is a leftover of a crashed run.
	l.cleanStale(ctx)
	l.id, l.dir, err = makeLabDir(opts.BaseDir)
	if err != nil {
		return nil, err
	}
	l.prefix = ifPrefix + l.id + "-"
	l.env = append(l.env, "OVS_RUNDIR="+l.dir, "OVS_LOGDIR="+l.dir, "OVS_DBDIR="+l.dir, "OVS_SYSCONFDIR="+l.dir)
	l.keep = newKeeper()
	if err := l.startOVS(ctx); err != nil {
		return nil, err
	}
	l.logf("ovslab: lab %s started in %s", l.id, l.dir)
	return l, nil
}

// makeLabDir creates BaseDir/voipsdn-ovslab-<id> for a fresh random id.
func makeLabDir(base string) (string, string, error) {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	for range 20 {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		for i := range b {
			b[i] = alphabet[int(b[i])%len(alphabet)]
		}
		id := string(b)
		dir := filepath.Join(base, dirPrefix+id)
		if err := os.Mkdir(dir, 0o700); err == nil {
			return id, dir, nil
		} else if !errors.Is(err, os.ErrExist) {
			return "", "", fmt.Errorf("ovslab: %w", err)
		}
	}
	return "", "", errors.New("ovslab: no free lab id")
}

// ID is the lab's short unique id; Dir its private directory (OVS logs,
// database, sockets, captures).
func (l *Lab) ID() string  { return l.id }
func (l *Lab) Dir() string { return l.dir }

// Env returns the environment (OVS_RUNDIR etc.) that points ovs-* tools at
// this lab, for commands a test runs itself.
func (l *Lab) Env() []string { return append([]string(nil), l.env...) }

func (l *Lab) logf(format string, args ...any) { l.opts.Logf(format, args...) }

// name allocates a unique interface name with the lab prefix.
func (l *Lab) newIfName(kind string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counter++
	return fmt.Sprintf("%s%s%d", l.prefix, kind, l.counter)
}

// onClose registers f to run when the lab closes, before OVS stops.
func (l *Lab) onClose(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closers = append(l.closers, f)
}

// Close tears the lab down: stops captures and receivers, stops
// ovs-vswitchd (exit --cleanup) and ovsdb-server (killing them if they do not
// exit in time), deletes namespaces and links, removes the directory and
// releases the lock. It is idempotent and bounded in time.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.close(false) })
	return l.closeErr
}

func (l *Lab) close(keepDir bool) error {
	l.mu.Lock()
	l.closed = true
	closers := l.closers
	l.closers = nil
	l.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	if l.cancel != nil {
		l.cancel()
	}
	// Teardown must work even though the lab context is cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if l.dir != "" {
		errs = append(errs, l.stopOVS(ctx))
		errs = append(errs, l.deleteNetworkObjects(ctx))
	}
	if l.keep != nil {
		l.keep.stop()
	}
	if l.dir != "" && !keepDir {
		errs = append(errs, os.RemoveAll(l.dir))
	} else if keepDir {
		l.logf("ovslab: kept %s", l.dir)
	}
	errs = append(errs, l.lock.release())
	return errors.Join(errs...)
}

// deleteNetworkObjects removes this lab's namespaces and links.
func (l *Lab) deleteNetworkObjects(ctx context.Context) error {
	var errs []error
	l.mu.Lock()
	var nss []string
	for _, h := range l.hosts {
		nss = append(nss, h.NS)
	}
	l.mu.Unlock()
	for _, ns := range nss {
		errs = append(errs, l.deleteNetns(ctx, ns))
	}
	links, err := l.listLinks(ctx)
	errs = append(errs, err)
	for _, name := range links {
		if len(name) > len(l.prefix) && name[:len(l.prefix)] == l.prefix {
			errs = append(errs, l.deleteLink(ctx, name))
		}
	}
	return errors.Join(errs...)
}

func (l *Lab) checkOpen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("ovslab: lab is closed")
	}
	return nil
}
