// Command amisim runs the AMI simulator: a TCP server that behaves like
// the Asterisk 22 of ami/testdata/captures, driven by a JSON call script or
// a generated load. With --bench it also runs voipsdn's AMI client and
// call tracker against itself and reports dropped events and the reader's
// longest stall.
//
//	amisim --listen 127.0.0.1:5038 --user admin --secret s3cret --script calls.json
//	amisim --listen 127.0.0.1:5038 --user admin --secret s3cret --rate 50 --duration 1m --hold 20s
//	amisim --bench --rate 500 --duration 60s --hold 10s
//	amisim agi --connect 127.0.0.1:4573 --script 'qos?class=emergency' --answered
//
// SIGUSR1 drops every client connection (as --drop-every does on a timer).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
)

type options struct {
	listen, user, secret, secretFile, script string
	load                                     amisim.Load
	rtcp, dropEvery, malformedEvery          time.Duration
	malformed                                string
	noTimestamps, bench, verbose             bool
	cpuProfile                               string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "agi" {
		return runAGI(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("amisim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.listen, "listen", "127.0.0.1:5038", "address to listen on")
	fs.StringVar(&o.user, "user", "admin", "AMI username")
	fs.StringVar(&o.secret, "secret", "", "AMI secret (or --secret-file)")
	fs.StringVar(&o.secretFile, "secret-file", "", "file holding the AMI secret")
	fs.StringVar(&o.script, "script", "", "JSON call script (see package amisim)")
	fs.Float64Var(&o.load.Rate, "rate", 0, "generated load: calls per second")
	fs.DurationVar(&o.load.Duration, "duration", 0, "generated load: how long (0: until stopped)")
	fs.DurationVar(&o.load.Hold, "hold", 10*time.Second, "generated load: talk time per call")
	fs.DurationVar(&o.load.AnswerAfter, "answer-after", 100*time.Millisecond, "generated load: ring time per call")
	fs.DurationVar(&o.rtcp, "rtcp-interval", 5*time.Second, "RTCP report interval per leg (negative: none)")
	fs.DurationVar(&o.dropEvery, "drop-every", 0, "drop all client connections this often")
	fs.StringVar(&o.malformed, "malformed", "", "send malformed input: garbage, lf, utf8 or huge")
	fs.DurationVar(&o.malformedEvery, "malformed-every", 10*time.Second, "how often to send --malformed input")
	fs.BoolVar(&o.noTimestamps, "no-timestamps", false, "leave out Timestamp (timestampevents = no)")
	fs.BoolVar(&o.bench, "bench", false, "run voipsdn's AMI client and tracker against the simulator and report")
	fs.BoolVar(&o.verbose, "v", false, "debug logging")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "amisim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "amisim: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "amisim: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if o.bench {
		return bench(ctx, o, stdout, log)
	}
	if err := serve(ctx, o, log); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "amisim: %v\n", err)
		return 1
	}
	return 0
}

func secretOf(o options) (string, error) {
	if o.secretFile != "" {
		s, err := ami.LoadSecret(o.secretFile, "")
		return s.Reveal(), err
	}
	if o.secret == "" {
		return "", errors.New("--secret or --secret-file is required")
	}
	return o.secret, nil
}

func serve(ctx context.Context, o options, log *slog.Logger) error {
	secret, err := secretOf(o)
	if err != nil {
		return err
	}
	var calls []amisim.TimedCall
	if o.script != "" {
		f, err := os.Open(o.script)
		if err != nil {
			return err
		}
		calls, err = amisim.ParseScript(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", o.script, err)
		}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	sim := amisim.New(amisim.Options{Username: o.user, Secret: secret, Logger: log,
		RTCPInterval: o.rtcp, NoTimestamps: o.noTimestamps})
	log.Info("amisim listening", "address", ln.Addr().String(), "user", o.user)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	goRun := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	if len(calls) > 0 {
		goRun(func() {
			if err := sim.RunScript(ctx, calls); err != nil && ctx.Err() == nil {
				log.Error("script", "err", err)
			}
		})
	}
	if o.load.Rate > 0 {
		goRun(func() {
			n, err := sim.RunLoad(ctx, o.load)
			log.Info("load finished", "calls", n, "err", err)
		})
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	goRun(func() { control(ctx, sim, o, usr1, log) })
	return sim.Serve(ctx, ln)
}

// control drops connections and sends malformed input on command.
func control(ctx context.Context, sim *amisim.Server, o options, usr1 <-chan os.Signal, log *slog.Logger) {
	var drop, bad <-chan time.Time
	if o.dropEvery > 0 {
		t := time.NewTicker(o.dropEvery)
		defer t.Stop()
		drop = t.C
	}
	if o.malformed != "" && o.malformedEvery > 0 {
		t := time.NewTicker(o.malformedEvery)
		defer t.Stop()
		bad = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-usr1:
			log.Info("dropping connections (SIGUSR1)", "dropped", sim.DropConnections())
		case <-drop:
			log.Info("dropping connections", "dropped", sim.DropConnections())
		case <-bad:
			n, err := sim.SendMalformed(amisim.Malformed(o.malformed))
			log.Info("sent malformed input", "kind", o.malformed, "clients", n, "err", err)
		}
	}
}
