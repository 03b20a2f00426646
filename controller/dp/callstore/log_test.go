package callstore

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

// Records keeps every log record, with the attributes of its logger.
type Records struct {
	mu   sync.Mutex
	recs []map[string]any // message under "msg", level under "level"
}

func (r *Records) handler() slog.Handler { return recHandler{r: r} }

type recHandler struct {
	r     *Records
	attrs []slog.Attr
}

func (h recHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return recHandler{r: h.r, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}
func (h recHandler) WithGroup(string) slog.Handler { return h }
func (h recHandler) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]any{"msg": rec.Message, "level": rec.Level}
	for _, a := range h.attrs {
		m[a.Key] = a.Value.Any()
	}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	h.r.mu.Lock()
	h.r.recs = append(h.r.recs, m)
	h.r.mu.Unlock()
	return nil
}

// find returns the records with message msg.
func (r *Records) find(msg string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, m := range r.recs {
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// Every step of a call's QoS is one info line with the call, the leg and
// the server: media known, each stream installed (switch, port, DSCP,
// meter and its rate, codec), removed, or best effort with the reason.
func TestEngineLogsEachStepOfACall(t *testing.T) {
	recs := &Records{}
	sw := newFakeSwitches(labLocator())
	e := New(testPolicy(config.PinholeMark), viaDP(sw), &countingObserver{fallbacks: map[qos.Reason]int{}}, slog.New(recs.handler()))
	e.Retries, e.RetryDelay = 1, 10*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	leg := twoLegs("c1")[0]
	leg.Codec = "g729"
	e.MediaKnown(ctx, leg, time.Now()) //nolint:errcheck
	lost := qos.Leg{Server: "pbx1", Call: "c1", ID: "c1.z", Codec: "ulaw",
		Local: netip.MustParseAddrPort("198.51.100.1:4000"), Remote: netip.MustParseAddrPort("192.0.2.9:4000")}
	e.MediaKnown(ctx, lost, time.Now()) //nolint:errcheck
	time.Sleep(100 * time.Millisecond)
	sync1(t, e, ctx)
	e.CallEnded(ctx, "pbx1", "c1") //nolint:errcheck
	sync1(t, e, ctx)

	ids := func(m map[string]any) bool {
		return m["server"] == "pbx1" && m["call"] == "c1" && m["level"] == slog.LevelInfo
	}
	if ms := recs.find("call media known"); len(ms) != 2 || !ids(ms[0]) || ms[0]["leg"] != "c1.a" || ms[0]["codec"] != "g729" {
		t.Errorf("media known: %v", ms)
	}
	inst := recs.find("call flows installed")
	if len(inst) != 2 {
		t.Fatalf("want one line per installed stream (2), got %v", inst)
	}
	ports := map[uint64]bool{}
	for _, m := range inst {
		if !ids(m) || m["leg"] != "c1.a" || m["dp"] != "0000000000000001" || m["dscp"] != uint64(46) ||
			m["meter_kbps"] != uint64(35) || m["codec"] != "g729" || m["meter"] == uint64(0) {
			t.Errorf("installed: %v", m)
		}
		ports[m["in_port"].(uint64)] = true
	}
	if !ports[1] || !ports[5] {
		t.Errorf("installed streams' ingress ports %v, want the phone's 1 and the PBX's 5", ports)
	}
	if ms := recs.find("call flows removed"); len(ms) != 2 || !ids(ms[0]) || ms[0]["leg"] != "c1.a" {
		t.Errorf("removed: %v", ms)
	}
	if ms := recs.find("call leg best effort"); len(ms) != 1 || !ids(ms[0]) || ms[0]["leg"] != "c1.z" || ms[0]["reason"] != string(qos.ReasonLocationUnknown) {
		t.Errorf("best effort: %v", ms)
	}
	// Nothing per packet, and nothing else at info level for one call
	// than the lines above.
	recs.mu.Lock()
	defer recs.mu.Unlock()
	if len(recs.recs) > 8 {
		t.Errorf("%d log lines for one call: %v", len(recs.recs), recs.recs)
	}
}
