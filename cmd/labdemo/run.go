package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// The lab's hosts: name, switch port, address. They must match
// examples/lab/faucet.yaml.
var hosts = []ovslab.HostSpec{
	{Name: "phone201", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
	{Name: "phone202", OFPort: 2, Addrs: []string{"10.0.100.202/24"}},
	{Name: "pc", OFPort: 3, Addrs: []string{"10.0.200.10/24"}},
	{Name: "pbx", OFPort: 5, Addrs: []string{"10.0.100.1/24"}},
}

const pbxAddr = "10.0.100.1"

func run(ctx context.Context, o options, out io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("the lab needs root (network namespaces, Open vSwitch)")
	}
	if err := ovslab.Available(); err != nil {
		return fmt.Errorf("%w (run `make deps`)", err)
	}
	if _, err := os.Stat(o.voipsdn); err != nil {
		return fmt.Errorf("voipsdn binary: %w (run `make build`)", err)
	}

	say(out, "Starting Open vSwitch (userspace) with switch sw1")
	lab, err := ovslab.Start(ctx, ovslab.Options{})
	if err != nil {
		return err
	}
	defer func() {
		say(out, "Tearing down")
		if err := lab.Close(); err != nil {
			fmt.Fprintln(out, "teardown:", err)
		}
	}()
	ctrl := "tcp:127.0.0.1:" + strconv.Itoa(o.ofPort)
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController(ctrl), ovslab.MaxBackoff(time.Second)); err != nil {
		return err
	}
	for _, h := range hosts {
		h.Bridge = "sw1"
		if _, err := lab.AddHost(h); err != nil {
			return err
		}
		fmt.Fprintf(out, "  host %-9s port %d  %s\n", h.Name, h.OFPort, h.Addrs[0])
	}

	say(out, "Starting the PBX (AMI simulator) on 127.0.0.1:%d", o.amiPort)
	secret := randomSecret()
	sim := amisim.New(amisim.Options{
		Username: "voipsdn", Secret: secret,
		PBXAddr: netip.MustParseAddr(pbxAddr), RTPPortBase: 10000, RTCPInterval: 2 * time.Second,
	})
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.amiPort)))
	if err != nil {
		return fmt.Errorf("AMI simulator: %w", err)
	}
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan struct{})
	go func() { sim.Serve(simCtx, ln); close(simDone) }() //nolint:errcheck // ends with the demo
	defer func() { stopSim(); <-simDone }()

	say(out, "Starting voipsdn (log: %s)", filepath.Join(lab.Dir(), "voipsdn.log"))
	stopCtl, err := startVoipsdn(ctx, o, lab.Dir(), secret)
	if err != nil {
		return err
	}
	defer stopCtl()
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = lab.WaitConnected(waitCtx, "sw1")
	cancel()
	if err != nil {
		return fmt.Errorf("sw1 never connected to voipsdn: %w (see %s)", err, filepath.Join(lab.Dir(), "voipsdn.log"))
	}
	fmt.Fprintln(out, "  sw1 connected")

	say(out, "Starting Prometheus on http://127.0.0.1:%d (job \"faucet\")", o.promPort)
	stopProm, err := startPrometheus(ctx, o, lab.Dir())
	if err != nil {
		fmt.Fprintln(out, "  Prometheus not started:", err)
	} else {
		defer stopProm()
	}

	if err := connectivity(ctx, lab, out); err != nil {
		return err
	}
	if err := placeCalls(ctx, o, lab, sim, secret, out); err != nil {
		return err
	}

	say(out, "Where to look")
	fmt.Fprintf(out, "  voipsdn metrics:  http://127.0.0.1:%d/metrics\n", o.metricPort)
	fmt.Fprintf(out, "  Prometheus:       http://127.0.0.1:%d/graph?g0.expr=voipsdn_calls_active\n", o.promPort)
	fmt.Fprintln(out, "  Grafana:          import dashboards/*.json (or provision with dashboards/provisioning/)")
	fmt.Fprintf(out, "  switch flows:     OVS_RUNDIR=%s ovs-ofctl -O OpenFlow13 dump-flows sw1\n", lab.Dir())
	if o.wait {
		fmt.Fprintln(out, "\nThe lab stays up; press Ctrl-C to tear it down.")
		<-ctx.Done()
	}
	return nil
}

func randomSecret() string {
	b := make([]byte, 12)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail on Linux
	return hex.EncodeToString(b)
}

// startVoipsdn runs the controller binary with the lab config. The AMI
// secret reaches it through the environment, never the command line.
func startVoipsdn(ctx context.Context, o options, dir, secret string) (stop func(), err error) {
	logf, err := os.Create(filepath.Join(dir, "voipsdn.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.voipsdn, "run", "--config", o.config,
		"--of-listen", "127.0.0.1:"+strconv.Itoa(o.ofPort),
		"--prom-listen", "127.0.0.1:"+strconv.Itoa(o.metricPort))
	cmd.Env = append(os.Environ(), "VOIPSDN_AMI_SECRET="+secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting voipsdn: %w", err)
	}
	return func() { terminate(cmd); logf.Close() }, nil
}

// startPrometheus scrapes voipsdn every second under Faucet's job name.
func startPrometheus(ctx context.Context, o options, dir string) (stop func(), err error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: faucet\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n", o.metricPort)
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config.file="+path, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(o.promPort))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	return func() { terminate(cmd); logf.Close() }, nil
}

// terminate stops a child politely, then firmly.
func terminate(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	cmd.Process.Signal(os.Interrupt) //nolint:errcheck
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }() //nolint:errcheck
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill() //nolint:errcheck
		<-done
	}
}
