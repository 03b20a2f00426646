// Command labdemo is `make demo`: it brings up a small voice network on a
// userspace Open vSwitch (two phones and a PBX on the voice VLAN, a PC on
// the data VLAN), runs voipsdn against it with the AMI simulator as the
// PBX and Prometheus scraping voipsdn, places calls with real RTP between
// the phones and the PBX host, shows the per-call flows and the DSCP the
// packets arrive with, and tears everything down when it exits.
//
// It needs root (network namespaces) and Open vSwitch, Prometheus and
// tcpdump (`make deps` installs them).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"
)

type options struct {
	voipsdn    string
	config     string
	calls      int
	hold       time.Duration
	wait       bool
	ofPort     int
	metricPort int
	promPort   int
	amiPort    int
}

func main() {
	var o options
	self, _ := os.Executable()
	flag.StringVar(&o.voipsdn, "voipsdn", filepath.Join(filepath.Dir(self), "voipsdn"), "voipsdn binary to run")
	flag.StringVar(&o.config, "config", "examples/lab/faucet.yaml", "lab configuration")
	flag.IntVar(&o.calls, "calls", 2, "calls to place")
	flag.DurationVar(&o.hold, "hold", 8*time.Second, "how long each call lasts")
	flag.BoolVar(&o.wait, "wait", isTerminal(os.Stdin), "keep the lab up after the calls until Ctrl-C")
	flag.IntVar(&o.ofPort, "of-port", 6653, "OpenFlow port voipsdn listens on (127.0.0.1)")
	flag.IntVar(&o.metricPort, "metrics-port", 9302, "voipsdn's Prometheus endpoint port (127.0.0.1)")
	flag.IntVar(&o.promPort, "prometheus-port", 9090, "Prometheus's port (127.0.0.1)")
	flag.IntVar(&o.amiPort, "ami-port", 15038, "AMI simulator port (127.0.0.1); must match the config")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "labdemo:", err)
		os.Exit(1)
	}
}

// isTerminal reports whether f is a terminal (not merely a character
// device such as /dev/null, which CI and `make demo < /dev/null` give).
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// say prints a step heading.
func say(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "\n== "+format+"\n", args...)
}
