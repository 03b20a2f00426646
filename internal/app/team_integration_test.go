package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/controller/team"
	"github.com/voipsdn/voipsdn/internal/etcdlab"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/qos"
)

const teamLabConfig = `
vlans:
  voice: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, native_vlan: voice}
      2: {name: phone202, native_vlan: voice}
      5: {name: pbx, native_vlan: voice}
voip:
  asterisk:
    pbx:
      host: 127.0.0.1
      port: %d
      username: voipsdn
      secret_env: VOIPSDN_TEAM_E2E_SECRET
  qos:
    rtp_port_range: [10000, 20000]
    pinhole: mark
    pbx_addresses: [10.0.100.1]
`

// teamMember is one in-process voipsdn of a team, reaching etcd through
// its own proxy so that it can be cut off.
type teamMember struct {
	a      *App
	proxy  *etcdlab.Proxy
	cancel context.CancelFunc
	done   chan struct{}
}

func startTeamMember(t *testing.T, id, cfgPath string, etcd *etcdlab.Cluster) *teamMember {
	t.Helper()
	return startTeamMemberCfg(t, id, cfgPath, etcd, func(c *team.Config) { c.TTL = time.Second })
}

// startTeamMemberCfg starts a member whose team configuration edit
// adjusts; with several etcd members it reaches them all directly.
func startTeamMemberCfg(t *testing.T, id, cfgPath string, etcd *etcdlab.Cluster, edit func(*team.Config)) *teamMember {
	t.Helper()
	proxy := etcdlab.NewProxy(t, strings.TrimPrefix(etcd.Endpoints()[0], "http://"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tc := &team.Config{Endpoints: []string{"http://" + proxy.Addr()}, Cluster: "e2e", Instance: id}
	if len(etcd.Endpoints()) > 1 {
		tc.Endpoints = etcd.Endpoints()
	}
	edit(tc)
	a, err := New(Options{ConfigPath: cfgPath, OFListener: ln, Logger: testLog(t, id), Team: tc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &teamMember{a: a, proxy: proxy, cancel: cancel, done: make(chan struct{})}
	go func() { _ = a.Run(ctx); close(m.done) }()
	t.Cleanup(m.kill)
	return m
}

// kill makes the member vanish: etcd first (its lease is left to expire),
// then everything else. Nothing is cleaned up on the switch.
func (m *teamMember) kill() {
	m.proxy.Cut()
	m.cancel()
	<-m.done
}

func testLog(_ *testing.T, id string) *slog.Logger {
	if os.Getenv("TEAM_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil)).With("instance", id)
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// callFlows are the bridge's per-call flows by table, priority and match,
// with their meters and ages.
func callFlows(t *testing.T, lab *ovslab.Lab) map[string]ovslab.Flow {
	t.Helper()
	filter := "cookie=0x" + strconv.FormatUint(qos.CookieCategory, 16) + "/0x" + strconv.FormatUint(qos.CookieCategoryMask, 16)
	fs, err := lab.DumpFlows("sw1", filter)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ovslab.Flow{}
	for _, f := range fs {
		out[fmt.Sprintf("table=%d,priority=%d,%s", f.Table, f.Priority, f.MatchString())] = f
	}
	return out
}

// A team of two voipsdn instances follows one PBX and one switch. The
// master is killed while one call is up and another one ends before the
// standby takes over: the call still up keeps exactly its flows (same
// match, same meter, not re-added), the ended call's flows are swept once
// the new master has resynced the PBX, and a call placed after the
// takeover gets its flows.
func TestTeamTakeoverKeepsLiveCalls(t *testing.T) {
	etcd := etcdlab.Start(t, 1)
	lab := ovslab.New(t)
	t.Setenv("VOIPSDN_TEAM_E2E_SECRET", "s3cret")
	sim := amisim.New(amisim.Options{Username: "voipsdn", Secret: "s3cret",
		PBXAddr: netip.MustParseAddr("10.0.100.1"), RTPPortBase: 10000, RTCPInterval: -1})
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { _ = sim.Serve(simCtx, simLn); close(simDone) }()
	t.Cleanup(func() { stopSim(); <-simDone })
	cfgPath := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(teamLabConfig, simLn.Addr().(*net.TCPAddr).Port)), 0o644); err != nil {
		t.Fatal(err)
	}

	x := startTeamMember(t, "x", cfgPath, etcd)
	y := startTeamMember(t, "y", cfgPath, etcd)
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+x.a.OFAddr().String(), "tcp:"+y.a.OFAddr().String()),
		ovslab.MaxBackoff(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, h := range []ovslab.HostSpec{
		{Name: "phone201", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
		{Name: "phone202", OFPort: 2, Addrs: []string{"10.0.100.202/24"}},
		{Name: "pbx", OFPort: 5, Addrs: []string{"10.0.100.1/24"}},
	} {
		h.Bridge = "sw1"
		if _, err := lab.AddHost(h); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "a master", 30*time.Second, func() bool { return x.a.Team().IsMaster(1) || y.a.Team().IsMaster(1) })
	master, standby := x, y
	if y.a.Team().IsMaster(1) {
		master, standby = y, x
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, h := range []string{"phone201", "phone202"} {
		if err := lab.Host(h).WaitPing(ctx, "10.0.100.1"); err != nil {
			t.Fatalf("%s cannot reach the PBX: %v", h, err)
		}
	}
	time.Sleep(time.Second) // both instances have logged in to the PBX
	call := func(port uint16) string {
		id, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 200 * time.Millisecond,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	call(20200)
	waitUntil(t, "the first call's flows", 20*time.Second, func() bool { return len(callFlows(t, lab)) > 0 })
	time.Sleep(time.Second)
	oneCall := len(callFlows(t, lab))
	ended := call(20400)
	waitUntil(t, "the second call's flows", 20*time.Second, func() bool { return len(callFlows(t, lab)) == 2*oneCall })
	before := callFlows(t, lab)
	if standby.a.srv.Stats().FlowMods != 0 {
		t.Fatalf("the standby sent %d flow-mods", standby.a.srv.Stats().FlowMods)
	}

	killed := time.Now()
	master.kill()
	if err := sim.Hangup(ended, 16); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the takeover", 20*time.Second, func() bool { return standby.a.Team().IsMaster(1) })
	t.Logf("standby master %v after the kill; %d per-call flows per call", time.Since(killed), oneCall)
	// The new master resyncs the PBX, adopts, and sweeps the ended call.
	waitUntil(t, "the ended call's flows swept", 20*time.Second, func() bool { return len(callFlows(t, lab)) == oneCall })
	after := callFlows(t, lab)
	for k, f := range after {
		b, ok := before[k]
		switch {
		case !ok:
			t.Errorf("flow not there before the takeover: %s", f.Text)
		case meterOf(b) != meterOf(f):
			t.Errorf("meter changed %s -> %s: %s", meterOf(b), meterOf(f), f.Text)
		case f.Duration < b.Duration:
			t.Errorf("flow re-added (age %v, was %v): %s", f.Duration, b.Duration, f.Text)
		}
	}
	call(20600)
	waitUntil(t, "the call after the takeover gets its flows", 20*time.Second, func() bool { return len(callFlows(t, lab)) == 2*oneCall })
}

func meterOf(f ovslab.Flow) string {
	for _, a := range strings.Split(f.Actions, ",") {
		if strings.HasPrefix(a, "meter:") {
			return a
		}
	}
	return ""
}

// TestTeamChurnKill: 1,000 calls churn through the simulator while the
// team's master is killed half-way. At the end every call has hung up and
// no per-call flow or meter is left; every call placed after the takeover
// had its flows on the switch.
func TestTeamChurnKill(t *testing.T) {
	if testing.Short() {
		t.Skip("team churn test: about a minute")
	}
	etcd := etcdlab.Start(t, 1)
	lab := ovslab.New(t)
	t.Setenv("VOIPSDN_TEAM_E2E_SECRET", "s3cret")
	sim := amisim.New(amisim.Options{Username: "voipsdn", Secret: "s3cret",
		PBXAddr: netip.MustParseAddr("10.0.100.1"), RTPPortBase: 10000, RTCPInterval: -1})
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { _ = sim.Serve(simCtx, simLn); close(simDone) }()
	t.Cleanup(func() { stopSim(); <-simDone })
	cfgPath := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(teamLabConfig, simLn.Addr().(*net.TCPAddr).Port)), 0o644); err != nil {
		t.Fatal(err)
	}
	x := startTeamMember(t, "x", cfgPath, etcd)
	y := startTeamMember(t, "y", cfgPath, etcd)
	if _, err := lab.AddBridge("sw1", 1, ovslab.WithController("tcp:"+x.a.OFAddr().String(), "tcp:"+y.a.OFAddr().String()),
		ovslab.MaxBackoff(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, h := range []ovslab.HostSpec{
		{Name: "phone201", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
		{Name: "phone202", OFPort: 2, Addrs: []string{"10.0.100.202/24"}},
		{Name: "pbx", OFPort: 5, Addrs: []string{"10.0.100.1/24"}},
	} {
		h.Bridge = "sw1"
		if _, err := lab.AddHost(h); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "a master", 30*time.Second, func() bool { return x.a.Team().IsMaster(1) || y.a.Team().IsMaster(1) })
	master, standby := x, y
	if y.a.Team().IsMaster(1) {
		master, standby = y, x
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, h := range []string{"phone201", "phone202"} {
		if err := lab.Host(h).WaitPing(ctx, "10.0.100.1"); err != nil {
			t.Fatalf("%s cannot reach the PBX: %v", h, err)
		}
	}
	time.Sleep(time.Second)

	// Watch the switch for each call's cookie.
	seen := map[uint64]bool{}
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		filter := "cookie=0x" + strconv.FormatUint(qos.CookieCategory, 16) + "/0x" + strconv.FormatUint(qos.CookieCategoryMask, 16)
		for watchCtx.Err() == nil {
			fs, _ := lab.DumpFlows("sw1", filter)
			for _, f := range fs {
				seen[qos.CallKey(f.Cookie)] = true
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	const calls = 1000
	ids := make([]string, 0, calls)
	var killedAt, tookOverAt int = -1, -1
	for i := range calls {
		port := uint16(20000 + 2*(i%4000))
		id, err := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw",
			AnswerAfter: 50 * time.Millisecond, Hold: 3*time.Second + time.Duration(i%20)*100*time.Millisecond,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if i == calls/2 {
			killedAt = i
			go master.kill()
		}
		if killedAt >= 0 && tookOverAt < 0 && standby.a.Team().IsMaster(1) && standby.a.srv.Stats().FlowMods > 0 {
			tookOverAt = i
		}
		time.Sleep(15 * time.Millisecond)
	}
	if tookOverAt < 0 {
		t.Fatal("the standby never took over")
	}
	deadline := time.Now().Add(90 * time.Second)
	for len(sim.ActiveCalls()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still up", len(sim.ActiveCalls()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitUntil(t, "no per-call flow left", 30*time.Second, func() bool { return len(callFlows(t, lab)) == 0 })
	stopWatch()
	<-watched
	meters, err := lab.DumpMeters("sw1")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range meters {
		if m.ID >= qos.MeterIDBase {
			t.Errorf("per-call meter %d left behind", m.ID)
		}
	}
	var before, window, after []int
	for i, id := range ids {
		if seen[qos.CallCookie("pbx", id)] {
			continue
		}
		switch {
		case i < killedAt:
			before = append(before, i)
		case i < tookOverAt:
			window = append(window, i)
		default:
			after = append(after, i)
		}
	}
	t.Logf("master killed at call %d, standby writing from call %d; calls never seen with flows: %d before the kill, %d during the takeover, %d after",
		killedAt, tookOverAt, len(before), len(window), len(after))
	if len(after) > 0 {
		t.Errorf("calls placed after the takeover without flows: %v", after)
	}
	if len(before) > 0 {
		t.Errorf("calls placed before the kill without flows: %v", before)
	}
}
