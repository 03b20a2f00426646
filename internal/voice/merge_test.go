package voice

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// flowLog is a Flows that records what it is asked, in order.
type flowLog struct {
	mu    sync.Mutex
	ops   []string
	swept []uint64
}

func (f *flowLog) add(op string) { f.mu.Lock(); f.ops = append(f.ops, op); f.mu.Unlock() }

func (f *flowLog) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ops := f.ops
	f.ops = nil
	return ops
}

func (f *flowLog) Run(ctx context.Context)                                      { <-ctx.Done() }
func (f *flowLog) SetPolicy(context.Context, *config.QoS) error                 { return nil }
func (f *flowLog) Scan(context.Context, uint64) error                           { return nil }
func (f *flowLog) Kick(context.Context) error                                   { return nil }
func (f *flowLog) Located(netip.Addr)                                           {}
func (f *flowLog) FlowRemoved(context.Context, uint64, *of13.FlowRemoved) error { return nil }
func (f *flowLog) MediaKnown(_ context.Context, l qos.Leg, _ time.Time) error {
	op := fmt.Sprintf("media %s/%s %s %s->%s class=%s", l.Call, l.ID, l.Codec, l.Remote, l.Local, l.Class)
	if l.BestEffort {
		op += " best-effort"
	}
	f.add(op)
	return nil
}
func (f *flowLog) LegEnded(_ context.Context, _, c, l string) error {
	f.add("leg-ended " + c + "/" + l)
	return nil
}
func (f *flowLog) CallEnded(_ context.Context, _, c string) error {
	f.add("call-ended " + c)
	return nil
}
func (f *flowLog) Sweep(_ context.Context, dpid uint64, _ func(uint64) bool) error {
	f.mu.Lock()
	f.swept = append(f.swept, dpid)
	f.mu.Unlock()
	return nil
}

// fakeSource is a call.Source that emits nothing by itself: tests hand
// its events to the service as it would.
type fakeSource struct{ name, server string }

func (f fakeSource) Name() string                                      { return f.name }
func (f fakeSource) Server() string                                    { return f.server }
func (f fakeSource) Run(ctx context.Context, _ func(call.Event)) error { <-ctx.Done(); return nil }

// agiLike never resyncs.
type agiLike struct{ fakeSource }

func (agiLike) NeverResyncs() {}

const classConfig = `
vlans:
  voice: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, native_vlan: voice}
voip:
  asterisk:
    pbx: {host: 127.0.0.1, username: voipsdn, secret_env: VOIPSDN_SVC_SECRET, ari: {url: "http://127.0.0.1:8088", username: u, password_env: VOIPSDN_SVC_SECRET}}
  qos:
    classes:
      emergency: {dscp: 34, meter: false}
`

// newMergeService builds a service over flowLog with sources AMI (0),
// ARI (1) and a FastAGI-like one (2), all for server pbx.
func newMergeService(t *testing.T) (*Service, *flowLog, *prometheus.Registry) {
	t.Helper()
	t.Setenv("VOIPSDN_SVC_SECRET", "s3cret")
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	if err := os.WriteFile(path, []byte(classConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	vm, err := voicemetrics.New(reg, voicemetrics.Options{Servers: []string{"pbx"}})
	if err != nil {
		t.Fatal(err)
	}
	fl := &flowLog{}
	s, err := New(Options{VoIP: cfg.VoIP, Flows: fl, Metrics: vm, Sources: []call.Source{
		fakeSource{"pbx/ami", "pbx"}, fakeSource{"pbx/ari", "pbx"}, agiLike{fakeSource{"fastagi", ""}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s, fl, reg
}

// metric returns the value of a gauge or counter series (0 if absent).
func metric(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

const (
	amiSrc = 0
	ariSrc = 1
	agiSrc = 2
)

var (
	hdr    = call.Header{Server: "pbx", Call: "1796624903.0"}
	phone  = netip.MustParseAddrPort("10.0.100.201:25064")
	pbx    = netip.MustParseAddrPort("10.0.100.1:10980")
	caller = call.Leg{Uniqueid: "1796624903.0", Channel: "PJSIP/201-00000000"}
)

func media(src call.MediaSource) call.MediaKnown {
	return call.MediaKnown{Header: hdr, Leg: caller, Local: pbx, Remote: phone, Codec: "ulaw", Source: src}
}

// AMI and ARI both follow the PBX: the call is counted once, its leg's
// media goes to the flows once, its hang-up ends it once, and the slower
// source's late events for it change nothing.
func TestTwoSourcesOneCall(t *testing.T) {
	s, fl, reg := newMergeService(t)
	s.handle(amiSrc, call.CallStarted{Header: hdr, Leg: caller})
	s.handle(ariSrc, call.CallStarted{Header: hdr, Leg: caller})
	if n := metric(t, reg, "voipsdn_calls_active", nil); n != 1 {
		t.Errorf("calls_active %v with one call known to two sources, want 1", n)
	}
	s.handle(amiSrc, media(call.SourceGetvar))
	s.handle(ariSrc, media(call.SourceGetvar))
	// An RTCP guess never replaces what a source read from the PBX.
	guess := media(call.SourceRTCP)
	guess.Remote = netip.MustParseAddrPort("10.0.100.201:25066")
	s.handle(amiSrc, guess)
	want := []string{"media 1796624903.0/1796624903.0 ulaw 10.0.100.201:25064->10.0.100.1:10980 class="}
	if got := fl.take(); !slices.Equal(got, want) {
		t.Errorf("flows asked %q, want %q", got, want)
	}
	s.handle(ariSrc, call.LegEnded{Header: hdr, Leg: caller})
	s.handle(ariSrc, call.CallEnded{Header: hdr, Answered: true})
	// AMI reports the same hang-up later, and a stale media report.
	s.handle(amiSrc, media(call.SourceGetvar))
	s.handle(amiSrc, call.LegEnded{Header: hdr, Leg: caller})
	s.handle(amiSrc, call.CallEnded{Header: hdr, Answered: true})
	want = []string{"leg-ended 1796624903.0/1796624903.0", "call-ended 1796624903.0"}
	if got := fl.take(); !slices.Equal(got, want) {
		t.Errorf("flows asked %q, want %q", got, want)
	}
	if n := metric(t, reg, "voipsdn_calls_total", map[string]string{"outcome": "answered"}); n != 1 {
		t.Errorf("calls_total answered %v, want 1", n)
	}
	if n := metric(t, reg, "voipsdn_calls_active", nil); n != 0 {
		t.Errorf("calls_active %v after the hang-up, want 0", n)
	}
	if s.isLive(qos.CallCookie("pbx", hdr.Call)) {
		t.Error("the ended call is still live for sweeps")
	}
}

// A source that reports a leg's media without its codec, after another
// source reported it with one, changes nothing: the codec is kept. The
// codec of the first report, when it lacks one, is completed in place.
func TestCodecNotErasedBySecondSource(t *testing.T) {
	s, fl, _ := newMergeService(t)
	s.handle(amiSrc, call.CallStarted{Header: hdr, Leg: caller})
	s.handle(ariSrc, call.CallStarted{Header: hdr, Leg: caller})
	s.handle(ariSrc, media(call.SourceGetvar))
	blind := media(call.SourceGetvar)
	blind.Codec = ""
	s.handle(amiSrc, blind)
	want := []string{"media 1796624903.0/1796624903.0 ulaw 10.0.100.201:25064->10.0.100.1:10980 class="}
	if got := fl.take(); !slices.Equal(got, want) {
		t.Errorf("flows asked %q, want %q", got, want)
	}
}

// A source that lost sight of a call (it ended while that source was
// disconnected, or its resync does not list it) ends it only when no other
// source still knows it.
func TestLostSightEndsOnlyWhenNoSourceKnows(t *testing.T) {
	s, fl, reg := newMergeService(t)
	s.handle(amiSrc, call.CallStarted{Header: hdr, Leg: caller})
	s.handle(ariSrc, call.LegAdded{Header: hdr, Leg: caller})
	s.handle(amiSrc, media(call.SourceGetvar))
	fl.take()
	s.handle(amiSrc, call.CallEnded{Header: hdr, Reason: call.ReasonDisconnected})
	s.handle(amiSrc, call.Resynced{Header: call.Header{Server: "pbx"}})
	if got := fl.take(); len(got) != 0 {
		t.Errorf("AMI's loss of a call ARI still follows reached the flows: %q", got)
	}
	if !s.isLive(qos.CallCookie("pbx", hdr.Call)) {
		t.Error("the call ARI follows is not live")
	}
	// ARI's resync does not list it either: now it is gone.
	s.handle(ariSrc, call.Resynced{Header: call.Header{Server: "pbx"}})
	if got, want := fl.take(), []string{"call-ended " + hdr.Call}; !slices.Equal(got, want) {
		t.Errorf("flows asked %q, want %q", got, want)
	}
	if n := metric(t, reg, "voipsdn_calls_total", map[string]string{"outcome": "unknown"}); n != 1 {
		t.Errorf("calls_total unknown %v, want 1", n)
	}
}

// Sweeps wait for every source that resyncs, each for its own Resynced,
// and again after one of them says its view is incomplete; a source that
// never resyncs (FastAGI) does not hold them back.
func TestSweepWaitsForEachSource(t *testing.T) {
	s, fl, _ := newMergeService(t)
	ctx := context.Background()
	swept := func() int { fl.mu.Lock(); defer fl.mu.Unlock(); n := len(fl.swept); fl.swept = nil; return n }
	s.SwitchUp(ctx, 1)
	s.handle(amiSrc, call.Resynced{Header: call.Header{Server: "pbx"}})
	if n := swept(); n != 0 {
		t.Fatalf("swept after AMI's resync alone, ARI's view not complete")
	}
	s.handle(ariSrc, call.Resynced{Header: call.Header{Server: "pbx"}})
	if n := swept(); n != 1 {
		t.Fatalf("%d sweeps once AMI and ARI resynced, want 1", n)
	}
	s.handle(ariSrc, call.Unsynced{Header: call.Header{Server: "pbx"}})
	s.SwitchUp(ctx, 1)
	if n := swept(); n != 0 {
		t.Fatalf("swept while ARI was reconnecting")
	}
	s.handle(ariSrc, call.Resynced{Header: call.Header{Server: "pbx"}})
	if n := swept(); n != 1 {
		t.Fatalf("%d sweeps after ARI's resync, want 1", n)
	}
}

// A class arriving before the call is kept for it; arriving after the
// flows are in, it plans the legs again; a repeat changes nothing; an
// unknown class is ignored.
func TestClassBeforeAndAfterMedia(t *testing.T) {
	s, fl, _ := newMergeService(t)
	s.handle(agiSrc, call.Classified{Header: hdr, Uniqueid: caller.Uniqueid, Class: "emergency"})
	s.handle(amiSrc, call.CallStarted{Header: hdr, Leg: caller})
	s.handle(amiSrc, media(call.SourceGetvar))
	want := []string{"media 1796624903.0/1796624903.0 ulaw 10.0.100.201:25064->10.0.100.1:10980 class=emergency"}
	if got := fl.take(); !slices.Equal(got, want) {
		t.Errorf("class first: flows asked %q, want %q", got, want)
	}

	other := call.Header{Server: "pbx", Call: "1796624999.0"}
	leg := call.Leg{Uniqueid: "1796624999.0"}
	s.handle(ariSrc, call.CallStarted{Header: other, Leg: leg})
	s.handle(ariSrc, call.MediaKnown{Header: other, Leg: leg, Local: pbx, Remote: phone, Codec: "ulaw", Source: call.SourceChannelVars})
	fl.take()
	// FastAGI knows the channel, not always its call.
	s.handle(agiSrc, call.Classified{Header: call.Header{Server: "pbx"}, Uniqueid: leg.Uniqueid, Class: "emergency"})
	s.handle(amiSrc, call.Classified{Header: other, Uniqueid: leg.Uniqueid, Class: "emergency"})
	s.handle(amiSrc, call.Classified{Header: other, Uniqueid: leg.Uniqueid, Class: "nosuch"})
	want = []string{"leg-ended 1796624999.0/1796624999.0",
		"media 1796624999.0/1796624999.0 ulaw 10.0.100.201:25064->10.0.100.1:10980 class=emergency"}
	if got := fl.take(); !slices.Equal(got, want) {
		t.Errorf("class after media: flows asked %q, want %q", got, want)
	}
}
