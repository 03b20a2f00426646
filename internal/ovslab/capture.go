package ovslab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Capture is a running tcpdump writing a pcap file. Read it any time with
// Packets or Wait; Stop ends it. It is stopped when the lab closes.
type Capture struct {
	lab   *Lab
	file  string
	iface string
	cmd   *exec.Cmd
	done  chan struct{}

	mu     sync.Mutex
	stderr strings.Builder
	stop   sync.Once
}

// Capture starts tcpdump on iface in the root namespace (a switch-side
// port: Port.Name) with a pcap filter ("" = everything). It returns once
// tcpdump is listening.
func (l *Lab) Capture(ctx context.Context, iface, filter string) (*Capture, error) {
	return l.capture(ctx, "", iface, filter)
}

// Capture starts tcpdump inside the host on iface ("" = the host's
// interface).
func (h *Host) Capture(ctx context.Context, iface, filter string) (*Capture, error) {
	if iface == "" {
		iface = h.Iface
	}
	return h.lab.capture(ctx, h.NS, iface, filter)
}

func (l *Lab) capture(ctx context.Context, ns, iface, filter string) (*Capture, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	c := &Capture{lab: l, iface: iface, done: make(chan struct{})}
	c.file = filepath.Join(l.dir, l.newIfName("cap")[len(l.prefix):]+".pcap")
	// -U writes each packet as it arrives, --immediate-mode delivers it
	// from the kernel at once; -Z root keeps root so it can write into our
	// private directory.
	argv := []string{"tcpdump", "-n", "-U", "--immediate-mode", "-Z", "root", "-i", iface, "-w", c.file}
	if filter != "" {
		argv = append(argv, filter)
	}
	if ns != "" {
		argv = l.nsCmd(ns, argv...)
	}
	c.cmd = exec.Command(argv[0], argv[1:]...)
	c.cmd.Env = l.env
	pr, err := c.cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("ovslab: %w", err)
	}
	if err := l.keep.start(c.cmd); err != nil {
		return nil, &CmdError{Args: argv, Err: err}
	}
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			c.mu.Lock()
			c.stderr.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			if !signalled && strings.Contains(sc.Text(), "listening on") {
				close(listening)
				signalled = true
			}
		}
		_ = c.cmd.Wait()
		close(c.done)
	}()
	ctx, cancel := withTimeout(ctx, l.opts.CommandTimeout)
	defer cancel()
	select {
	case <-listening:
	case <-c.done:
		return nil, &CmdError{Args: argv, Stderr: c.errText(), Err: errors.New("tcpdump exited")}
	case <-ctx.Done():
		c.kill()
		return nil, &CmdError{Args: argv, Stderr: c.errText(), Err: ctx.Err()}
	}
	l.onClose(func() { _, _ = c.Stop() })
	return c, nil
}

func (c *Capture) errText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

func (c *Capture) kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

// File is the pcap file's path (it lives in the lab directory).
func (c *Capture) File() string { return c.file }

// Packets returns the packets captured so far.
func (c *Capture) Packets() ([]Packet, error) {
	b, err := os.ReadFile(c.file)
	if err != nil {
		return nil, fmt.Errorf("ovslab: capture on %s: %w", c.iface, err)
	}
	return ParsePcap(b)
}

// Wait polls the capture until cond accepts the packets so far, or ctx
// ends; it returns the last packets read either way.
func (c *Capture) Wait(ctx context.Context, cond func([]Packet) bool) ([]Packet, error) {
	for {
		pkts, err := c.Packets()
		if err != nil {
			return pkts, err
		}
		if cond(pkts) {
			return pkts, nil
		}
		select {
		case <-ctx.Done():
			return pkts, fmt.Errorf("ovslab: capture on %s: condition not met with %d packets: %w", c.iface, len(pkts), ctx.Err())
		case <-c.done:
			return pkts, fmt.Errorf("ovslab: capture on %s: tcpdump exited: %s", c.iface, c.errText())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop ends tcpdump (SIGINT, so it flushes) and returns every packet
// captured. Calling it again only re-reads the file.
func (c *Capture) Stop() ([]Packet, error) {
	c.stop.Do(func() {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(3 * time.Second):
			c.kill()
		}
	})
	return c.Packets()
}
