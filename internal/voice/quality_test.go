package voice

import (
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/tracker"
)

func TestQualityFiguresLeaveOutWhatWasNotMeasured(t *testing.T) {
	for _, tc := range []struct {
		name      string
		q         tracker.QualityReport
		j, l, rtt float64 // seconds, ratio, seconds; -1: not observed
	}{
		{"no block", tracker.QualityReport{}, -1, -1, -1},
		{"block, no echoed sender report", tracker.QualityReport{Block: true, Jitter: 2 * time.Millisecond, FractionLost: 0.25},
			0.002, 0.25, -1},
		{"measured", tracker.QualityReport{Block: true, RTTKnown: true, RTT: 30 * time.Millisecond}, 0, 0, 0.03},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, l, rtt := qualityFigures(tc.q)
			if sec(j) != tc.j || l != tc.l || sec(rtt) != tc.rtt {
				t.Fatalf("got %v %v %v, want %v %v %v", j, l, rtt, tc.j, tc.l, tc.rtt)
			}
		})
	}
}

func sec(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return d.Seconds()
}
