package voice

import (
	"time"

	"github.com/voipsdn/voipsdn/ami/tracker"
)

// qualityFigures gives an RTCP report's jitter, loss ratio and round trip
// as the quality histograms take them: negative for what the report did
// not measure. A sender report without a reception block is not a report
// of zero loss, and Asterisk's "RTT: 0" before it has an echoed sender
// report is not a zero round trip; counting either would flatter the
// dashboards exactly when a phone receives nothing.
func qualityFigures(q tracker.QualityReport) (jitter time.Duration, loss float64, rtt time.Duration) {
	jitter, loss, rtt = -1, -1, -1
	if q.Block {
		jitter, loss = q.Jitter, q.FractionLost
	}
	if q.RTTKnown {
		rtt = q.RTT
	}
	return jitter, loss, rtt
}
