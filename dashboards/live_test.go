package dashboards

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/internal/app"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/internal/promlab"
)

const liveConfig = `
vlans:
  voice: {vid: 100}
  data: {vid: 200}
meters:
  pc-limit:
    meter_id: 7
    entry:
      flags: [KBPS]
      bands: [{type: DROP, rate: 10000}]
acls:
  pc-in:
    - rule:
        actions: {meter: pc-limit, allow: 1}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, description: "phone 201", native_vlan: voice}
      2: {name: phone202, description: "phone 202", native_vlan: voice}
      3: {name: pc, description: "a PC", native_vlan: data, acls_in: [pc-in]}
      5: {name: pbx, description: "the PBX", native_vlan: voice}
voip:
  asterisk:
    pbx:
      host: 127.0.0.1
      port: %d
      username: voipsdn
      secret_env: VOIPSDN_LIVE_SECRET
  qos:
    pbx_addresses: [10.0.100.1]
`

// TestDashboardQueriesOnLiveController runs the controller (as `voipsdn
// run` does) against a real Open vSwitch with hosts and calls from the AMI
// simulator, scrapes it with a real Prometheus under Faucet's job name and
// evaluates every query of every dashboard panel, ours and Faucet's: each
// must return at least one series. python_info, Faucet's interpreter, is
// the one exception.
func TestDashboardQueriesOnLiveController(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Open vSwitch, the controller and Prometheus")
	}
	ovslab.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab := ovslab.New(t)

	t.Setenv("VOIPSDN_LIVE_SECRET", "live")
	sim := amisim.New(amisim.Options{Username: "voipsdn", Secret: "live",
		PBXAddr: netip.MustParseAddr("10.0.100.1"), RTCPInterval: time.Second})
	amiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	simDone := make(chan struct{})
	go func() { sim.Serve(ctx, amiLn); close(simDone) }() //nolint:errcheck
	defer func() { cancel(); <-simDone }()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "faucet.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(liveConfig, amiLn.Addr().(*net.TCPAddr).Port)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Options{ConfigPath: cfgPath, OFListen: "127.0.0.1:0", PromListen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	appDone := make(chan struct{})
	go func() { a.Run(ctx); close(appDone) }() //nolint:errcheck
	defer func() { cancel(); <-appDone }()

	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+a.OFAddr().String())); err != nil {
		t.Fatal(err)
	}
	for _, h := range []ovslab.HostSpec{
		{Name: "phone201", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
		{Name: "phone202", OFPort: 2, Addrs: []string{"10.0.100.202/24"}},
		{Name: "pc", OFPort: 3, Addrs: []string{"10.0.200.10/24"}},
		{Name: "pbx", OFPort: 5, Addrs: []string{"10.0.100.1/24"}},
	} {
		h.Bridge = "sw1"
		if _, err := lab.AddHost(h); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := lab.WaitConnected(wctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"phone201", "phone202"} {
		if err := lab.Host(h).WaitPing(wctx, "10.0.100.1"); err != nil {
			t.Fatal(err)
		}
	}
	lab.Host("pc").Ping(ctx, "10.0.200.1", 1) //nolint:errcheck // learning only: nobody answers

	// Calls long enough for RTCP reports; traffic through the PC's meter.
	for i := 0; i < 2; i++ {
		port := uint16(20000 + 10*i)
		if _, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: 200 * time.Millisecond,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)}); err != nil {
			t.Fatal(err)
		}
	}
	go lab.Host("pc").SendUDPStream(ctx, ovslab.Stream{Dst: "10.0.200.99:9", Duration: 30 * time.Second}) //nolint:errcheck

	p := promlab.Start(t, promlab.Options{Targets: []string{a.PromAddr().String()}})
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	qctx, qcancel := context.WithTimeout(ctx, 120*time.Second)
	defer qcancel()
	n := 0
	for _, db := range all {
		for _, ql := range queries(t, db.File, db.JSON) {
			expr := ql[0]
			if strings.Contains(expr, "python_info") {
				continue
			}
			if m := grafanaLabelValues.FindStringSubmatch(expr); m != nil {
				expr = m[1]
			} else if m := grafanaQueryResult.FindStringSubmatch(expr); m != nil {
				expr = m[1]
			}
			expr = grafanaVars.Replace(expr)
			n++
			if _, err := p.WaitForSeries(qctx, expr); err != nil {
				t.Errorf("%s: %q returned no series from the live controller: %v", db.File, ql[0], err)
			}
		}
	}
	t.Logf("%d dashboard queries answered by the live controller", n)
}
