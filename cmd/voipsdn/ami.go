package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// amiCmd runs "voipsdn ami replay|watch": the call tracker's lifecycle
// events as JSON lines, from a capture or from a live server.
func amiCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		amiUsage(stderr)
		return 2
	}
	switch args[0] {
	case "replay":
		return amiReplay(args[1:], stdout, stderr)
	case "watch":
		return amiWatch(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		amiUsage(stderr)
		return 0
	}
	fmt.Fprintf(stderr, "voipsdn ami: unknown subcommand %q\n", args[0])
	amiUsage(stderr)
	return 2
}

func amiUsage(w io.Writer) {
	fmt.Fprintln(w, `usage:
  voipsdn ami replay FILE [--sent FILE] [--server NAME] [--no-quality]
  voipsdn ami watch --host HOST [--port 5038] --username USER (--secret-file F | --secret-env VAR)
                    [--tls [--tls-ca-file F] [--tls-skip-verify]] [--auth md5|plain] [--events call,reporting]
Prints one JSON object per call lifecycle event (see docs/ami.md).`)
}

// parseInterspersed parses flags that may come before or after
// positional arguments and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// jsonEmitter writes records, one per line, safe for concurrent use.
type jsonEmitter struct {
	mu        sync.Mutex
	enc       *json.Encoder
	noQuality bool
	err       error
}

func newJSONEmitter(w io.Writer, noQuality bool) *jsonEmitter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // channel names and caller IDs stay readable
	return &jsonEmitter{enc: enc, noQuality: noQuality}
}

func (j *jsonEmitter) emit(ev tracker.Event) {
	if _, q := ev.(tracker.QualityReport); q && j.noQuality {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.enc.Encode(tracker.ToRecord(ev)); err != nil && j.err == nil {
		j.err = err
	}
}

func amiReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("voipsdn ami replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sentPath := fs.String("sent", "", "what the client sent in that session, to match Getvar/Status/CoreShowChannels answers by ActionID")
	server := fs.String("server", "replay", "server name in the output")
	noQuality := fs.Bool("no-quality", false, "leave out RTCP quality records")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "voipsdn ami replay: want exactly one capture FILE")
		return 2
	}
	capture, err := os.Open(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn ami replay: %v\n", err)
		return 1
	}
	defer capture.Close()
	var sent io.Reader
	if *sentPath != "" {
		f, err := os.Open(*sentPath)
		if err != nil {
			fmt.Fprintf(stderr, "voipsdn ami replay: %v\n", err)
			return 1
		}
		defer f.Close()
		sent = f
	}
	out := newJSONEmitter(stdout, *noQuality)
	tr, err := tracker.Replay(capture, sent, *server, out.emit)
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn ami replay: %s: %v\n", pos[0], err)
		return 1
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "voipsdn ami replay: write: %v\n", out.err)
		return 1
	}
	if calls, legs := tr.Calls(); calls > 0 {
		fmt.Fprintf(stderr, "voipsdn ami replay: %d call(s), %d leg(s) still up at the end of the capture\n", calls, legs)
	}
	return 0
}

func amiWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("voipsdn ami watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg ami.ServerConfig
	fs.StringVar(&cfg.Name, "name", "", "server name in the output (default: host)")
	fs.StringVar(&cfg.Host, "host", "", "Asterisk host")
	fs.IntVar(&cfg.Port, "port", 0, "AMI port (default 5038, or 5039 with --tls)")
	fs.StringVar(&cfg.Username, "username", "", "AMI user")
	fs.StringVar(&cfg.SecretFile, "secret-file", "", "file holding the AMI secret")
	fs.StringVar(&cfg.SecretEnv, "secret-env", "", "environment variable holding the AMI secret")
	fs.BoolVar(&cfg.TLS, "tls", false, "use TLS")
	fs.StringVar(&cfg.TLSCAFile, "tls-ca-file", "", "CA bundle for the server certificate")
	fs.BoolVar(&cfg.TLSSkipVerify, "tls-skip-verify", false, "do not verify the server certificate (lab only)")
	fs.StringVar(&cfg.Auth, "auth", "md5", "login method: md5 or plain")
	events := fs.String("events", "", "login event mask, e.g. call,reporting (default: on)")
	noQuality := fs.Bool("no-quality", false, "leave out RTCP quality records")
	verbose := fs.Bool("v", false, "debug logging")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "voipsdn ami watch: unexpected argument %q\n", pos[0])
		return 2
	}
	if *events != "" {
		cfg.Events = strings.Split(*events, ",")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	out := newJSONEmitter(stdout, *noQuality)

	var drv *tracker.Driver
	client, err := ami.NewClient(cfg, func(d ami.Delivery) { drv.Handle(d) }, ami.WithLogger(log))
	if err != nil {
		fmt.Fprintf(stderr, "voipsdn ami watch: %v\n", err)
		return 2
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{
		Tracker: tracker.Options{Server: client.Name()}, Logger: log,
	}, out.emit)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = drv.Run(ctx)
	}()
	err = client.Run(ctx)
	cancel()
	wg.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "voipsdn ami watch: %v\n", err)
		return 1
	}
	return 0
}
