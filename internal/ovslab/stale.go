package ovslab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// staleLink matches interface names made by any lab: "vl" + 4-char id + "-".
var staleLink = regexp.MustCompile(`^` + ifPrefix + `[0-9a-z]{4}-`)

// cleanStale removes what crashed labs left behind. It runs with the
// machine-wide lock held, so no other lab is alive and everything bearing
// our prefixes is stale. It never touches objects without those prefixes.
func (l *Lab) cleanStale(ctx context.Context) {
	ctx, cancel := withTimeout(ctx, 30*time.Second)
	defer cancel()
	dirs, _ := filepath.Glob(filepath.Join(l.opts.BaseDir, dirPrefix+"*"))
	// Processes (OVS daemons, tcpdump) whose command line names a lab dir,
	// even if the dir itself is gone.
	for _, pid := range killProcsMentioning(filepath.Join(l.opts.BaseDir, dirPrefix)) {
		l.logf("ovslab: killed stale process %d", pid)
	}
	out, _ := l.run(ctx, "ip", "netns", "list")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], netnsPrefix) {
			l.logf("ovslab: removing stale netns %s", f[0])
			_ = l.deleteNetns(ctx, f[0])
		}
	}
	links, _ := l.listLinks(ctx)
	for _, name := range links {
		if staleLink.MatchString(name) {
			l.logf("ovslab: removing stale link %s", name)
			_ = l.deleteLink(ctx, name)
		}
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			l.logf("ovslab: removing stale dir %s", d)
			_ = os.RemoveAll(d)
		}
	}
}

// ownTools are the programs a lab runs as long-lived children.
var ownTools = map[string]bool{"ovs-vswitchd": true, "ovsdb-server": true, "tcpdump": true}

// killProcsMentioning SIGKILLs every OVS daemon or tcpdump whose command line
// contains s (a lab directory prefix). Other programs are left alone.
func killProcsMentioning(s string) []int {
	var killed []int
	for _, pid := range procsMentioning(s) {
		comm, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
		if !ownTools[strings.TrimSpace(string(comm))] {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGCONT)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		killed = append(killed, pid)
	}
	return killed
}

// procsMentioning lists pids whose command line contains s.
func procsMentioning(s string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// listLinks returns the names of the links in the root namespace.
func (l *Lab) listLinks(ctx context.Context) ([]string, error) {
	out, err := l.run(ctx, "ip", "-o", "link", "show")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		// "12: name@peer: <FLAGS> ..."
		f := strings.SplitN(line, ": ", 3)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(f[1], "@")
		names = append(names, name)
	}
	return names, nil
}

// deleteLink deletes a link; tap devices left by a killed ovs-vswitchd are
// persistent and need the tuntap form.
func (l *Lab) deleteLink(ctx context.Context, name string) error {
	_, err := l.run(ctx, "ip", "link", "del", name)
	if err == nil {
		return nil
	}
	if _, err2 := l.run(ctx, "ip", "tuntap", "del", "dev", name, "mode", "tap"); err2 == nil {
		return nil
	}
	if strings.Contains(err.Error(), "Cannot find device") || strings.Contains(err.Error(), "does not exist") {
		return nil // gone with its peer
	}
	return err
}

// deleteNetns kills every process inside ns (else the namespace, and the
// veths in it, outlive the mount point) and deletes it.
func (l *Lab) deleteNetns(ctx context.Context, ns string) error {
	if out, err := l.run(ctx, "ip", "netns", "pids", ns); err == nil {
		for _, f := range strings.Fields(out) {
			if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_, err := l.run(ctx, "ip", "netns", "del", ns)
	var ce *CmdError
	if errors.As(err, &ce) && strings.Contains(ce.Stderr, "No such file") {
		return nil
	}
	return err
}
