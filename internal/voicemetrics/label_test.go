package voicemetrics

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHostileLabelValues: values from a peer that are not UTF-8, or huge,
// are counted under a sanitised label; nothing panics and gathering works.
func TestHostileLabelValues(t *testing.T) {
	m, reg := newTest(t)
	m.AMIEvent("pbx1", "\xff")
	m.AMIEvent("pbx1", "A\xc3\x28B")
	m.AMIEvent("\xffpbx", strings.Repeat("é", 1000))
	m.SetAMIState("p\xfe", AMILive)
	m.AMIEventsDropped("p\xfe", 1)
	m.CallEnded("p\xfe", "\xff")
	m.ChannelRefused("p\xfe", "\xff")
	m.PanicRecovered("p\xfe", "\xff")
	m.Fallback("\xff")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if v := lp.GetValue(); !utf8.ValidString(v) || len(v) > MaxLabelBytes {
					t.Errorf("%s{%s=%q}", mf.GetName(), lp.GetName(), v)
				}
			}
		}
	}
	if n := testutil.ToFloat64(m.amiEvents.WithLabelValues("pbx1", "\uFFFD")); n != 1 {
		t.Errorf("Event \\xff counted %v times as U+FFFD", n)
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{
		"Newchannel": "Newchannel", "\xff": "\uFFFD", "a\xffb": "a\uFFFDb", "": "",
		strings.Repeat("x", 200):                   strings.Repeat("x", MaxLabelBytes),
		strings.Repeat("x", MaxLabelBytes-1) + "é": strings.Repeat("x", MaxLabelBytes-1),
	} {
		if got := Label(in); got != want {
			t.Errorf("Label(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCallsTotal: ended calls count per server and outcome, every
// outcome's series exists from the start, and an unknown outcome cannot
// make a new series.
func TestCallsTotal(t *testing.T) {
	m, reg := newTest(t)
	m.CallEnded("pbx1", "answered")
	m.CallEnded("pbx1", "answered")
	m.CallEnded("pbx1", "busy")
	m.CallEnded("pbx1", "something else")
	want := `
# HELP voipsdn_calls_total Calls ended, as tracked from AMI, by server and outcome (answered, busy, noanswer, cancelled, failed, unknown).
# TYPE voipsdn_calls_total counter
voipsdn_calls_total{outcome="answered",server="pbx1"} 2
voipsdn_calls_total{outcome="busy",server="pbx1"} 1
voipsdn_calls_total{outcome="cancelled",server="pbx1"} 0
voipsdn_calls_total{outcome="failed",server="pbx1"} 0
voipsdn_calls_total{outcome="noanswer",server="pbx1"} 0
voipsdn_calls_total{outcome="unknown",server="pbx1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "voipsdn_calls_total"); err != nil {
		t.Fatal(err)
	}
}
