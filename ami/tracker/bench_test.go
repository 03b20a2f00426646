package tracker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// BenchmarkApply measures events through the tracker per second: the
// real event stream of capture 02 (a bridged call with RTCP), copied with
// fresh Uniqueids per call so each replay is a new call.
func BenchmarkApply(b *testing.B) {
	dir := capturesDir(b)
	raw, err := os.ReadFile(filepath.Join(dir, "02-call-201-to-202-bridged-25s-caller-hangup.txt"))
	if err != nil {
		b.Fatal(err)
	}
	const calls = 500
	var events []ami.Message
	for i := 0; i < calls; i++ {
		text := strings.NewReplacer("1795501973.0", fmt.Sprintf("9%d.0", i), "1795501973.1", fmt.Sprintf("9%d.1", i)).Replace(string(raw))
		msgs, err := ami.ReadAll(strings.NewReader(text), 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs {
			if m.Kind() == ami.KindEvent {
				events = append(events, m)
			}
		}
	}
	now := time.Unix(0, 0)
	tr := tracker.New(tracker.Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(events)
		if j == 0 {
			tr = tracker.New(tracker.Options{})
		}
		tr.Apply(events[j], now)
		if j%64 == 0 {
			tr.TakeRequests()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
