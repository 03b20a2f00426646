package voice

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

const twoServerConfig = `
vlans:
  voice: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, native_vlan: voice}
      5: {name: pbx, native_vlan: voice}
voip:
  asterisk:
    pbx1: {host: 127.0.0.1, port: 1, username: voipsdn, secret_env: VOIPSDN_SVC_SECRET}
    pbx2: {host: 127.0.0.1, port: 2, username: voipsdn, secret_env: VOIPSDN_SVC_SECRET}
  qos:
    pbx_addresses: [10.0.100.1]
`

// memSwitch is one switch's per-call flows in memory, and the locations
// of the lab's hosts.
type memSwitch struct {
	mu    sync.Mutex
	flows map[of13.FlowKey]of13.Flow
}

func (m *memSwitch) Locate(ip netip.Addr) (qos.Location, bool) {
	port := map[string]uint32{"10.0.100.201": 1, "10.0.100.1": 5}[ip.String()]
	return qos.Location{DP: "sw1", DPID: 1, Port: port, VID: 100}, port != 0
}

func (m *memSwitch) Placement(dpid uint64) (qos.Placement, bool) {
	return qos.Placement{DP: "sw1", Table: 1, Next: map[uint16]uint8{100: 2}}, dpid == 1
}

// Commit applies the change at once, in order, and confirms it.
func (m *memSwitch) Commit(_ uint64, c dp.Change, done func(error)) {
	m.mu.Lock()
	for _, msg := range c.Flows {
		fm := msg.(of13.FlowMod)
		switch fm.Command {
		case of13.FlowAdd:
			m.flows[fm.Key()] = fm.Flow
		case of13.FlowDeleteStrict:
			delete(m.flows, fm.Key())
		}
	}
	m.mu.Unlock()
	if done != nil {
		done(nil)
	}
}

// Reconcile hands the store every flow, as dp does at connect.
func (m *memSwitch) Reconcile(_ context.Context, dpid uint64, st dp.Store) error {
	m.mu.Lock()
	var out []of13.Flow
	for _, f := range m.flows {
		out = append(out, f)
	}
	m.mu.Unlock()
	st.Reconcile(dpid, dp.State{Flows: out}, func(c dp.Change, done func(error)) { m.Commit(dpid, c, done) })
	return nil
}

// holds reports whether the switch holds a flow of the call.
func (m *memSwitch) holds(server, call string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.flows {
		if qos.CallKey(f.Cookie) == qos.CallCookie(server, call) {
			return true
		}
	}
	return false
}

// newTestService builds a service for two servers on memSwitch, with its
// engine running but no AMI connection: the tests feed tracker events.
func newTestService(t *testing.T, sw *memSwitch, log *slog.Logger) (*Service, context.Context) {
	t.Helper()
	t.Setenv("VOIPSDN_SVC_SECRET", "s3cret")
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(path, []byte(twoServerConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{VoIP: cfg.VoIP, Switches: sw, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.flows.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, ctx
}

// TestSweepWaitsForEveryServer: after a restart the switch holds flows of
// a call still up on pbx2 and of calls that ended meanwhile. pbx1
// resyncs first: nothing may be swept yet, since pbx2's live calls are
// not known. Once pbx2 has resynced too, its live call keeps its flows
// and the ended calls' flows go.
func TestSweepWaitsForEveryServer(t *testing.T) {
	sw := &memSwitch{flows: map[of13.FlowKey]of13.Flow{}}
	for i, c := range []struct{ server, call string }{{"pbx2", "up"}, {"pbx2", "ended2"}, {"pbx1", "ended1"}} {
		f := of13.Flow{Table: 1, Priority: qos.PriorityCall, Cookie: qos.CallCookie(c.server, c.call), IdleTimeout: 60,
			Match: of13.NewMatch(of13.InPort(1), of13.EthType(0x0800), of13.IPProto(17),
				of13.PortField(of13.FieldUDPSrc, uint16(20000+2*i)), of13.PortField(of13.FieldUDPDst, 10000)),
			Instr: of13.Instructions{Meter: qos.MeterIDBase + uint32(i), HasGoto: true, GotoTable: 2}}
		sw.flows[f.Key()] = f
	}
	s, ctx := newTestService(t, sw, nil)
	s.SwitchUp(ctx, 1)
	s.emit(tracker.Resynced{Header: tracker.Header{Server: "pbx1"}})
	for _, c := range []string{"pbx2/up", "pbx2/ended2", "pbx1/ended1"} {
		var server, call string
		fmt.Sscanf(c, "%4s/%s", &server, &call) //nolint:errcheck
		if !sw.holds(server, call) {
			t.Errorf("%s's flows swept before pbx2 resynced", c)
		}
	}
	s.emit(tracker.Resynced{Header: tracker.Header{Server: "pbx2"}, Calls: []string{"up"}})
	if !sw.holds("pbx2", "up") {
		t.Error("the live call's flows were swept")
	}
	if sw.holds("pbx2", "ended2") || sw.holds("pbx1", "ended1") {
		t.Error("the ended calls' flows were not swept once every server had resynced")
	}
}

// logRecords keeps log records' messages and attributes.
type logRecords struct {
	mu   sync.Mutex
	recs []map[string]any
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecords) WithGroup(string) slog.Handler            { return l }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	m := map[string]any{"msg": r.Message, "level": r.Level}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	l.mu.Lock()
	l.recs = append(l.recs, m)
	l.mu.Unlock()
	return nil
}

func (l *logRecords) find(msg string) map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.recs {
		if m["msg"] == msg {
			return m
		}
	}
	return nil
}

// A call is visible in the log at info level: its start, each leg's
// media, its flows and its end, each with the server and the call.
func TestServiceLogsACall(t *testing.T) {
	recs := &logRecords{}
	sw := &memSwitch{flows: map[of13.FlowKey]of13.Flow{}}
	s, ctx := newTestService(t, sw, slog.New(recs))
	h := tracker.Header{Server: "pbx1", Call: "1700000000.1"}
	s.emit(tracker.CallStarted{Header: h, Leg: tracker.Leg{Uniqueid: "1700000000.1"}})
	s.emit(tracker.MediaKnown{Header: h, Leg: tracker.Leg{Uniqueid: "1700000000.1"}, Codec: "ulaw",
		Local: netip.MustParseAddrPort("10.0.100.1:10000"), Remote: netip.MustParseAddrPort("10.0.100.201:20000")})
	// Sweep (keeping everything) waits for the engine to get there.
	if err := s.flows.Sweep(ctx, 1, func(uint64) bool { return true }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for recs.find("call flows installed") == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s.emit(tracker.CallEnded{Header: h})
	for _, want := range []struct{ msg, leg string }{
		{"call started", "1700000000.1"}, {"call media known", "1700000000.1"},
		{"call flows installed", "1700000000.1"}, {"call ended", ""},
	} {
		m := recs.find(want.msg)
		if m == nil {
			t.Errorf("no %q line", want.msg)
			continue
		}
		if m["level"] != slog.LevelInfo || m["server"] != "pbx1" || m["call"] != h.Call || (want.leg != "" && m["leg"] != want.leg) {
			t.Errorf("%q: %v", want.msg, m)
		}
	}
}

// emit hands ev to the service as the first source of its server reports
// it, as that source's Run would.
func (s *Service) emit(ev call.Event) {
	for i, src := range s.sources {
		if src.Server() == ev.EventHeader().Server {
			s.handle(i, ev)
			return
		}
	}
	panic("no source for server " + ev.EventHeader().Server)
}
