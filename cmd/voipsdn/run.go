package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/controller/metrics"
	"github.com/voipsdn/voipsdn/internal/app"
)

// runCmd runs the controller: flags here, everything else in internal/app.
// SIGHUP reloads the configuration; SIGINT and SIGTERM (through ctx) stop.
func runCmd(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", os.Getenv("FAUCET_CONFIG"), "Faucet configuration file (default $FAUCET_CONFIG)")
	ofListen := fs.String("of-listen", ":6653", "OpenFlow listen address")
	promListen := fs.String("prom-listen", "", `Prometheus listen address; default $FAUCET_PROMETHEUS_ADDR:$FAUCET_PROMETHEUS_PORT or ":9302"; "off" disables`)
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	pprof := fs.Bool("pprof", false, "serve Go's profiler under /debug/pprof/ on "+defaultPprofListen+" (shorthand for --pprof-listen "+defaultPprofListen+")")
	pprofListen := fs.String("pprof-listen", "", "serve Go's profiler under /debug/pprof/ on this address only (never on the Prometheus address); default off")
	ctlKey := fs.String("ctl-privkey", os.Getenv("FAUCET_CTL_PRIVKEY"), "OpenFlow TLS: the controller's private key, PEM (default $FAUCET_CTL_PRIVKEY)")
	ctlCert := fs.String("ctl-cert", os.Getenv("FAUCET_CTL_CERT"), "OpenFlow TLS: the controller's certificate, PEM (default $FAUCET_CTL_CERT)")
	caCerts := fs.String("ca-certs", os.Getenv("FAUCET_CA_CERTS"), "OpenFlow TLS: CA certificates switch certificates must chain to, PEM (default $FAUCET_CA_CERTS)")
	bindDPID := fs.Bool("of-bind-dpid", envBool("VOIPSDN_OF_BIND_DPID"), "OpenFlow TLS: accept a switch only if its certificate names its datapath id (see docs/security.md; default $VOIPSDN_OF_BIND_DPID)")
	eventSock := fs.String("event-sock", os.Getenv("FAUCET_EVENT_SOCK"), "write Faucet's event records to clients of this Unix socket (default $FAUCET_EVENT_SOCK)")
	tf := addTeamFlags(fs)
	watch := fs.Duration("watch", 0, "poll the configuration files for changes this often (e.g. 1s); 0 reloads on SIGHUP only")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "voipsdn run:", err)
		return 2
	}
	prom := ""
	if *promListen != "off" {
		if prom, err = metrics.ListenAddr(*promListen, os.Getenv); err != nil {
			fmt.Fprintln(stderr, "voipsdn run:", err)
			return 2
		}
	}
	if *pprof && *pprofListen == "" {
		*pprofListen = defaultPprofListen
	}
	opts := app.Options{
		ConfigPath: *cfgPath, OFListen: *ofListen, PromListen: prom, PprofListen: *pprofListen, Watch: *watch, Logger: log,
		FaucetEventSock: *eventSock,
	}
	if *ctlKey != "" || *ctlCert != "" || *caCerts != "" {
		if opts.OFTLS, err = controller.ServerTLSConfig(*ctlCert, *ctlKey, *caCerts, os.ReadFile); err != nil {
			fmt.Fprintln(stderr, "voipsdn run:", err)
			return 2
		}
		opts.OFBindDPID = *bindDPID
	} else if *bindDPID {
		fmt.Fprintln(stderr, "voipsdn run: --of-bind-dpid needs OpenFlow TLS (--ctl-privkey, --ctl-cert, --ca-certs)")
		return 2
	}
	if opts.Team, err = tf.config(true); err != nil {
		fmt.Fprintln(stderr, "voipsdn run:", err)
		return 2
	}
	a, err := app.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "voipsdn run:", err)
		return 1
	}
	log.Info("voipsdn running", "openflow", a.OFAddr().String(), "openflow_tls", opts.OFTLS != nil,
		"bind_dpid", opts.OFBindDPID, "config", *cfgPath, "team", opts.Team != nil)
	if opts.Team != nil {
		log.Info("voipsdn in a controller team", "cluster", opts.Team.Cluster, "instance", opts.Team.Instance,
			"etcd", strings.Join(opts.Team.Endpoints, ","), "lease_ttl", opts.Team.TTL)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // the SIGHUP goroutine ends with ctx, cancelled below
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading configuration")
				_ = a.Reload(ctx) // the outcome is logged by the reload
			}
		}
	})
	err = a.Run(ctx)
	cancel()
	if err != nil {
		log.Error("controller stopped", "err", err)
		return 1
	}
	return 0
}

// defaultPprofListen is where --pprof serves the profiler: loopback only.
const defaultPprofListen = "127.0.0.1:6060"

// envBool reads a boolean environment variable; unset or unparsable is
// false.
func envBool(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

// newLogger builds the process logger.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
