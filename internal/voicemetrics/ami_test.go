package voicemetrics_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
)

// feed is the path from AMI delivery to the metrics, as the voice service
// wires it: every delivery is counted, events go to the server's tracker,
// and what the tracker reports moves the call counters.
type feed struct {
	m *voicemetrics.VoiceMetrics
}

func (f feed) delivery(d ami.Delivery) {
	switch d.Kind {
	case ami.DeliveryEvent:
		f.m.AMIEvent(d.Server, d.Msg.Event())
	case ami.DeliveryOverflow:
		f.m.AMIEventsDropped(d.Server, int(d.Dropped))
	}
}

func (f feed) event(ev tracker.Event) {
	h := ev.EventHeader()
	switch e := ev.(type) {
	case tracker.CallEnded:
		f.m.CallEnded(h.Server, tracker.Outcome(e))
	case tracker.ChannelRefused:
		f.m.ChannelRefused(h.Server, e.Limit)
	}
}

// checkGather gathers the real registry: it must succeed, with every
// label value valid UTF-8.
func checkGather(t testing.TB, reg *prometheus.Registry) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if !utf8.ValidString(lp.GetValue()) {
					t.Fatalf("%s{%s=%q}", mf.GetName(), lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}

// TestInvalidUTF8OverTCP: a server that logs the client in and sends
// "Event: \xff" and a channel whose every field is invalid UTF-8 (issue
// 16: this made voipsdn panic in the Prometheus label code and exit). Over
// real TCP, through the real client and tracker, into a real registry:
// the event is counted under a sanitised name, the call under its
// outcome, gathering works, and the connection stays up.
func TestInvalidUTF8OverTCP(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := voicemetrics.New(reg, voicemetrics.Options{Servers: []string{"pbx1"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := amisim.New(amisim.Options{Username: "admin", Secret: "s3cret", RTCPInterval: -1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = sim.Serve(ctx, ln) }()
	f := feed{m}
	var drv *tracker.Driver
	client, err := ami.NewClient(ami.ServerConfig{Name: "pbx1", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Username: "admin", Secret: ami.NewSecret("s3cret")}, func(d ami.Delivery) {
		f.delivery(d)
		drv.Handle(d)
	}, ami.WithPanicHook(m.PanicRecovered))
	if err != nil {
		t.Fatal(err)
	}
	drv = tracker.NewDriver(client, tracker.DriverOptions{Tracker: tracker.Options{Server: "pbx1"}, OnPanic: m.PanicRecovered}, f.event)
	wg.Add(2)
	go func() { defer wg.Done(); _ = client.Run(ctx) }()
	go func() { defer wg.Done(); _ = drv.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	waitFor(t, "login", func() bool { return sim.Stats().Sessions == 1 && client.Stats().Connected })

	if n, err := sim.SendMalformed(amisim.BadUTF8); n != 1 || err != nil {
		t.Fatalf("sent to %d: %v", n, err)
	}
	waitFor(t, "the call's end counted", func() bool {
		return testutil.ToFloat64(m.CallsTotal("pbx1", tracker.OutcomeUnknown)) == 1
	})
	checkGather(t, reg)
	if n := testutil.ToFloat64(m.AMIEventsCounter("pbx1", "\uFFFD")); n != 1 {
		t.Errorf("Event: \\xff counted %v times under U+FFFD", n)
	}
	st := client.Stats()
	if !st.Connected || st.Connects != 1 || st.Panics != 0 || drv.Panics() != 0 {
		t.Errorf("connection after the bad bytes: %+v, driver panics %d", st, drv.Panics())
	}
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// FuzzDeliveryToMetrics: whatever bytes a server sends, the path from AMI
// delivery through the call tracker to the metrics never panics and the
// registry can always be gathered. Seeds: testdata/fuzz/FuzzDeliveryToMetrics
// and a real capture.
func FuzzDeliveryToMetrics(f *testing.F) {
	capture, err := os.ReadFile(filepath.Join("..", "..", "ami", "testdata", "captures", "05-call-201-to-404-busy-486.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(capture)
	f.Fuzz(func(t *testing.T, data []byte) {
		reg := prometheus.NewRegistry()
		m, err := voicemetrics.New(reg, voicemetrics.Options{Servers: []string{"pbx1"}})
		if err != nil {
			t.Fatal(err)
		}
		fd := feed{m}
		tr := tracker.New(tracker.Options{Server: "pbx1", Passive: true, MaxCalls: 16})
		rd := ami.NewReader(bytes.NewReader(data), 64<<10)
		now := time.Unix(1795500000, 0)
		for range len(data) + 1 {
			msg, err := rd.ReadMessage()
			if err != nil {
				break
			}
			if msg.Kind() != ami.KindEvent {
				continue
			}
			fd.delivery(ami.Delivery{Server: "pbx1", Kind: ami.DeliveryEvent, Msg: msg})
			for _, ev := range tr.Apply(msg, now) {
				fd.event(ev)
			}
		}
		checkGather(t, reg)
	})
}
