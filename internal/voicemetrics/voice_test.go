package voicemetrics

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newTest(t *testing.T) (*VoiceMetrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg, Options{Servers: []string{"pbx1"}, FallbackReasons: []string{"switch_down", "no_media"}})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestLint(t *testing.T) {
	_, reg := newTest(t)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}

func TestValuesAndZeroSeries(t *testing.T) {
	m, reg := newTest(t)
	m.SetCallsActive(3)
	m.SetCallsWithQoS(2)
	m.SetMediaFlowsInstalled(8)
	m.Fallback("switch_down")
	m.SetAMIState("pbx1", AMILive)
	m.AMIEvent("pbx1", "Newchannel")
	m.AMIEventsDropped("pbx1", 2)
	want := `
# HELP voipsdn_calls_active Calls currently up, as tracked from AMI.
# TYPE voipsdn_calls_active gauge
voipsdn_calls_active 3
# HELP voipsdn_calls_qos_active Calls currently up whose media has per-call QoS flows installed.
# TYPE voipsdn_calls_qos_active gauge
voipsdn_calls_qos_active 2
# HELP voipsdn_media_flows_installed Per-call media flows confirmed installed on switches.
# TYPE voipsdn_media_flows_installed gauge
voipsdn_media_flows_installed 8
# HELP voipsdn_qos_fallbacks_total Call legs that proceeded best effort instead of with per-call QoS, by reason.
# TYPE voipsdn_qos_fallbacks_total counter
voipsdn_qos_fallbacks_total{reason="no_media"} 0
voipsdn_qos_fallbacks_total{reason="switch_down"} 1
# HELP voipsdn_ami_connection_state AMI connection state: 0 disconnected, 1 logging in, 2 resynchronising, 3 live.
# TYPE voipsdn_ami_connection_state gauge
voipsdn_ami_connection_state{server="pbx1"} 3
# HELP voipsdn_ami_events_total AMI events received, by server and event name.
# TYPE voipsdn_ami_events_total counter
voipsdn_ami_events_total{event="Newchannel",server="pbx1"} 1
# HELP voipsdn_ami_events_dropped_total AMI events dropped because the consumer queue was full.
# TYPE voipsdn_ami_events_dropped_total counter
voipsdn_ami_events_dropped_total{server="pbx1"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"voipsdn_calls_active", "voipsdn_calls_qos_active", "voipsdn_media_flows_installed", "voipsdn_qos_fallbacks_total",
		"voipsdn_ami_connection_state", "voipsdn_ami_events_total", "voipsdn_ami_events_dropped_total"); err != nil {
		t.Fatal(err)
	}
}

func TestThresholdsAreBucketEdges(t *testing.T) {
	for _, tc := range []struct {
		name       string
		buckets    []float64
		thresholds []float64
	}{
		{"jitter", jitterBuckets, []float64{0.015, 0.025}},
		{"loss", lossBuckets, []float64{0.02, 0.05}},
		{"rtt", rttBuckets, []float64{0.2, 0.5}},
	} {
		for _, th := range tc.thresholds {
			if !slices.Contains(tc.buckets, th) {
				t.Errorf("%s buckets %v lack threshold %v", tc.name, tc.buckets, th)
			}
		}
	}
}

func TestObserveRTCPSkipsMissingAndClampsLoss(t *testing.T) {
	m, _ := newTest(t)
	m.ObserveRTCP(20*time.Millisecond, 1.5, -1)
	if got := testutil.CollectAndCount(m.rtt); got != 1 {
		t.Fatalf("rtt collect count %d", got)
	}
	var sum float64
	ch := make(chan prometheus.Metric, 1)
	m.loss.Collect(ch)
	pb := metricProto(t, <-ch)
	sum = pb.GetHistogram().GetSampleSum()
	if sum != 1 {
		t.Errorf("loss sum = %v, want clamped 1", sum)
	}
	ch = make(chan prometheus.Metric, 1)
	m.rtt.Collect(ch)
	if n := metricProto(t, <-ch).GetHistogram().GetSampleCount(); n != 0 {
		t.Errorf("rtt observed %d samples for a report without RTT", n)
	}
}

func TestEventNamesAreCapped(t *testing.T) {
	m, reg := newTest(t)
	for i := range MaxEventNames + 50 {
		m.AMIEvent("pbx1", fmt.Sprintf("Ev%d", i))
	}
	m.AMIEvent("pbx1", "Ev0") // a known name still counts as itself
	n, err := testutil.GatherAndCount(reg, "voipsdn_ami_events_total")
	if err != nil {
		t.Fatal(err)
	}
	if n != MaxEventNames+1 {
		t.Fatalf("event series = %d, want %d (cap + other)", n, MaxEventNames+1)
	}
}

func TestNoPerCallLabels(t *testing.T) {
	m, reg := newTest(t)
	m.ObserveInstallLatency(30 * time.Millisecond)
	m.ObserveRTCP(time.Millisecond, 0, time.Millisecond)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// Fixed vocabularies only: outcome, limit and component come from
	// lists in code.
	allowed := map[string]bool{"reason": true, "server": true, "event": true, "le": true,
		"outcome": true, "limit": true, "component": true}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if !allowed[lp.GetName()] {
					t.Errorf("%s has label %q", mf.GetName(), lp.GetName())
				}
			}
		}
	}
}
