package controller

import (
	"context"
	"errors"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// The tests in this file run Open vSwitch through internal/ovslab, whose
// machine-wide lock serialises them with every other OVS test; with CI set
// a machine without OVS fails them instead of skipping.

const dpid1 = 0x00000000000000a1

// labSwitch starts a lab with bridge br0 connected to a fresh server.
func labSwitch(t *testing.T, srv *Server, rec *recorder) (*ovslab.Lab, *Switch, net.Addr, func()) {
	t.Helper()
	lab := ovslab.New(t)
	srv.Handler = rec
	addr, stop := testServer(t, srv, "")
	if _, err := lab.AddBridge("br0", dpid1, ovslab.WithController("tcp:"+addr.String())); err != nil {
		t.Fatal(err)
	}
	sw := rec.sw(t, 20*time.Second)
	if ev := rec.next(t, time.Second); !strings.HasPrefix(ev, "connected") {
		t.Fatalf("first event %q", ev)
	}
	return lab, sw, addr, stop
}

// ofctl runs ovs-ofctl -O OpenFlow13 through the lab (which maps logical
// bridge names) and fails the test on error.
func ofctl(t testing.TB, lab *ovslab.Lab, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := lab.OfctlContext(ctx, args...)
	if err != nil {
		t.Fatalf("ovs-ofctl %v: %v\n%s", args, err, out)
	}
	return out
}

// dumpFlows returns ovs-ofctl dump-flows without statistics, sorted.
func dumpFlows(t testing.TB, lab *ovslab.Lab, bridge string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(ofctl(t, lab, "--no-stats", "dump-flows", bridge), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "OFPST_FLOW") {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// assertSameFlows checks that got holds exactly want, compared with
// of13.Flow.Equal.
func assertSameFlows(t *testing.T, what string, want, got []of13.Flow) {
	t.Helper()
	byKey := map[of13.FlowKey]of13.Flow{}
	for _, f := range got {
		byKey[f.Key()] = f
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d flows, want %d", what, len(got), len(want))
	}
	for _, w := range want {
		g, ok := byKey[w.Key()]
		if !ok {
			t.Errorf("%s: missing %s", what, w.String())
			continue
		}
		if !w.Equal(&g) {
			t.Errorf("%s: flow differs\n got %s\nwant %s", what, g.String(), w.String())
		}
	}
}

func TestOVSHandshakePortsAndFlows(t *testing.T) {
	rec := newRecorder()
	lab, sw, _, _ := labSwitch(t, &Server{}, rec)
	ctx := ctxT(t)
	if sw.DPID() != dpid1 {
		t.Fatalf("dpid %016x, want %016x", sw.DPID(), uint64(dpid1))
	}
	if p, ok := sw.Port(of13.PortLocal); !ok || p.Name != lab.Bridge("br0").OVSName {
		t.Fatalf("port-desc: LOCAL port %+v %v; ports %v", p, ok, sw.Ports())
	}

	// A port added and removed at runtime arrives as port-status.
	port, err := lab.AddPort("br0", 7)
	if err != nil {
		t.Fatal(err)
	}
	ev := waitPortStatus(t, rec, 7, of13.PortAdded)
	if ev.Port.Name != port.Name {
		t.Errorf("port-status add: name %q, want %q", ev.Port.Name, port.Name)
	}
	if _, ok := sw.Port(7); !ok {
		t.Errorf("port 7 not in the live port table after port-status")
	}
	if err := port.Delete(); err != nil {
		t.Fatal(err)
	}
	waitPortStatus(t, rec, 7, of13.PortDeleted)
	if _, ok := sw.Port(7); ok {
		t.Errorf("port 7 still in the live port table after deletion")
	}

	// Flows sent and confirmed by a barrier read back equal.
	flows := sampleFlows()
	msgs := []of13.Message{sampleMeter(), sampleGroup()}
	for _, f := range flows {
		msgs = append(msgs, of13.AddFlow(f))
	}
	if err := sw.SendAndConfirm(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	got, err := sw.Flows(ctx, of13.TableAll, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFlows(t, "flow-stats after Send", flows, got)
	cookie, err := sw.Flows(ctx, of13.TableAll, 0x5adc15c0, ^uint64(0))
	if err != nil || len(cookie) != 1 || cookie[0].Cookie != 0x5adc15c0 {
		t.Errorf("flow-stats by cookie: %v, %v", cookie, err)
	}

	// The same flows installed by ovs-ofctl from their String() form give
	// the same dump-flows text and decode to the same flows.
	if _, err := lab.AddBridge("br1", 0xb1); err != nil {
		t.Fatal(err)
	}
	var spec strings.Builder
	for _, f := range flows {
		spec.WriteString(f.String() + "\n")
	}
	m, g := sampleMeter(), sampleGroup()
	ofctl(t, lab, "add-meter", "br1", m.Meter.String())
	ofctl(t, lab, "add-group", "br1", g.Group.String())
	if err := lab.AddFlowsBundleText("br1", spec.String()); err != nil {
		t.Fatal(err)
	}
	if a, b := dumpFlows(t, lab, "br0"), dumpFlows(t, lab, "br1"); !slices.Equal(a, b) {
		t.Errorf("dump-flows differ:\nsession:\n%s\novs-ofctl:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}

	meters, err := sw.DumpMeters(ctx)
	if err != nil || len(meters) != 1 || !meters[0].Equal(&m.Meter) {
		t.Errorf("DumpMeters = %+v, %v; want %+v", meters, err, m.Meter)
	}
	groups, err := sw.DumpGroups(ctx)
	if err != nil || len(groups) != 1 || !groups[0].Equal(&g.Group) {
		t.Errorf("DumpGroups = %+v, %v; want %+v", groups, err, g.Group)
	}
	if ms, err := sw.MeterStats(ctx); err != nil || len(ms) != 1 || ms[0].ID != 1 || ms[0].FlowCount != 1 || len(ms[0].Bands) != 1 {
		t.Errorf("MeterStats = %+v, %v", ms, err)
	}
	if ps, err := sw.PortStats(ctx); err != nil || len(ps) == 0 {
		t.Errorf("PortStats = %+v, %v", ps, err)
	}
	if ts, err := sw.TableStats(ctx); err != nil || len(ts) < 4 || ts[2].ActiveCount != 3 {
		t.Errorf("TableStats = %+v, %v", ts, err)
	}
	if d, err := sw.Desc(ctx); err != nil || !strings.Contains(d.Manufacturer, "Nicira") {
		t.Errorf("Desc = %+v, %v", d, err)
	}

	// Deleting by cookie through the session removes exactly those flows.
	if err := sw.SendAndConfirm(ctx, of13.DeleteByCookie(0x5adc15c0, ^uint64(0))); err != nil {
		t.Fatal(err)
	}
	if left, _ := sw.Flows(ctx, of13.TableAll, 0, 0); len(left) != len(flows)-1 {
		t.Errorf("after delete by cookie: %d flows, want %d", len(left), len(flows)-1)
	}
}

func waitPortStatus(t *testing.T, rec *recorder, no uint32, reason of13.PortReason) of13.PortStatus {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev := <-rec.ports:
			if ev.Port.No == no && ev.Reason == reason {
				return ev
			}
		case <-deadline:
			t.Fatalf("no port-status %s for port %d", reason, no)
		}
	}
}

func TestOVSErrorNamesTheFlowMod(t *testing.T) {
	rec := newRecorder()
	lab, sw, _, _ := labSwitch(t, &Server{}, rec)
	ctx := ctxT(t)
	good1 := of13.Flow{Table: 0, Priority: 10, Match: of13.NewMatch(of13.InPort(1)), Instr: of13.Goto(1)}
	// nw_src without dl_type=0x800: a missing prerequisite.
	bad := of13.Flow{Table: 0, Priority: 11, Match: of13.NewMatch(of13.AddrField(of13.FieldIPv4Src, netipAddr("10.0.0.1")))}
	good2 := of13.Flow{Table: 0, Priority: 12, Match: of13.NewMatch(of13.InPort(2)), Instr: of13.Goto(1)}
	err := sw.SendAndConfirm(ctx, of13.AddFlow(good1), of13.AddFlow(bad), of13.AddFlow(good2))
	var ofe *OFError
	if !errors.As(err, &ofe) {
		t.Fatalf("Barrier returned %v, want an *OFError", err)
	}
	if !errors.Is(err, &of13.Error{Type: of13.ErrBadMatch, Code: of13.CodeBadMatchPrereq}) {
		t.Errorf("error %v is not OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ", err)
	}
	want := "OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ for flow-mod add table=0,priority=11,nw_src=10.0.0.1"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if len(rec.errs) != 0 {
		t.Errorf("a solicited error reached Handler.Error")
	}
	// The good flows around it were applied; the next barrier is clean.
	if err := sw.Barrier(ctx); err != nil {
		t.Errorf("second barrier: %v", err)
	}
	if got := dumpFlows(t, lab, "br0"); len(got) != 2 {
		t.Errorf("dump-flows: %v, want the two good flows", got)
	}
}

func TestOVSStoppedSwitchDetectedDead(t *testing.T) {
	rec := newRecorder()
	srv := &Server{EchoInterval: 200 * time.Millisecond, EchoTimeout: time.Second}
	lab, _, _, _ := labSwitch(t, srv, rec)
	// OVS probes too; a quiet second proves our echoes keep it alive.
	time.Sleep(1500 * time.Millisecond)
	if len(rec.events) != 0 {
		t.Fatalf("session ended while the switch was healthy: %s", rec.next(t, 0))
	}
	if err := lab.PauseVswitchd(); err != nil {
		t.Fatal(err)
	}
	ev := rec.next(t, 10*time.Second)
	if !strings.HasPrefix(ev, "disconnected") || !strings.Contains(ev, ErrEchoTimeout.Error()) {
		t.Fatalf("event %q, want a disconnect by echo timeout", ev)
	}
	if err := lab.ResumeVswitchd(); err != nil {
		t.Fatal(err)
	}
	if ev := rec.next(t, 20*time.Second); !strings.HasPrefix(ev, "connected") {
		t.Fatalf("after resume: %q, want a new connection", ev)
	}
}

func TestOVSReconnectAfterControllerRestart(t *testing.T) {
	rec := newRecorder()
	lab, sw, addr, stop := labSwitch(t, &Server{}, rec)
	ctx := ctxT(t)
	f := of13.Flow{Table: 0, Priority: 7, Match: of13.NewMatch(of13.InPort(1)), Instr: of13.Goto(1)}
	if err := sw.SendAndConfirm(ctx, of13.AddFlow(f)); err != nil {
		t.Fatal(err)
	}
	stop()
	if ev := rec.next(t, 5*time.Second); !strings.HasPrefix(ev, "disconnected") {
		t.Fatalf("after stop: %q", ev)
	}
	if _, err := sw.Flows(ctx, 0, 0, 0); err == nil {
		t.Errorf("a closed session answered a request")
	}
	// A new controller on the same address: OVS (max_backoff=1000)
	// reconnects and the flow survived (fail_mode=secure).
	srv2 := &Server{Handler: rec}
	testServer(t, srv2, addr.String())
	sw2 := rec.sw(t, 20*time.Second)
	if ev := rec.next(t, time.Second); !strings.HasPrefix(ev, "connected") {
		t.Fatalf("after restart: %q", ev)
	}
	got, err := sw2.Flows(ctx, of13.TableAll, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	assertSameFlows(t, "after reconnect", []of13.Flow{f}, got)
	if s := srv2.Stats(); s.Connected != 1 || s.Connects != 1 {
		t.Errorf("stats after reconnect: %+v", s)
	}
	_ = lab
}
