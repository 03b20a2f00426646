package tracker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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

// BenchmarkTrackerMemoryPerCall reports the heap the tracker holds per
// call in progress: 10,000 copies of capture 02's call, each up to its
// hang-up, parsed from the wire as a client would (one string per
// message, so a kept substring would keep its whole message), with the
// Getvar and Status answers fed back.
func BenchmarkTrackerMemoryPerCall(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(capturesDir(b), "02-call-201-to-202-bridged-25s-caller-hangup.txt"))
	if err != nil {
		b.Fatal(err)
	}
	text := string(raw)
	if i := strings.Index(text, "Event: HangupRequest"); i > 0 {
		text = text[:i] // the call stays up
	}
	const calls = 10000
	now := time.Unix(0, 0)
	for range b.N {
		tr := tracker.New(tracker.Options{Server: "pbx"})
		before := heapInuse()
		for i := range calls {
			r := strings.NewReplacer("1795501973.0", fmt.Sprintf("9%d.0", i), "1795501973.1", fmt.Sprintf("9%d.1", i),
				"-00000000", fmt.Sprintf("-%08x", 2*i), "-00000001", fmt.Sprintf("-%08x", 2*i+1))
			msgs, err := ami.ReadAll(strings.NewReader(r.Replace(text)), 0)
			if err != nil {
				b.Fatal(err)
			}
			for _, m := range msgs {
				if m.Kind() != ami.KindEvent {
					continue
				}
				tr.Apply(m, now)
				for _, req := range tr.TakeRequests() {
					tr.Answer(req, answerFor(b, req, i), nil, now)
				}
			}
		}
		after := heapInuse()
		if n, _ := tr.Calls(); n != calls {
			b.Fatalf("%d calls up, want %d", n, calls)
		}
		b.ReportMetric((float64(after)-float64(before))/calls, "heap-B/call")
	}
}

// answerFor makes the server's answer to a media request, parsed from the
// wire.
func answerFor(b *testing.B, req tracker.Request, call int) ami.Response {
	var wire string
	switch {
	case req.Kind == tracker.KindStatus:
		wire = "Event: Status\r\nChannel: " + req.Channel + "\r\nUniqueid: " + req.Leg + "\r\nReadformat: ulaw\r\nWriteformat: ulaw\r\n\r\n"
	case req.Variable == tracker.VarRTPDest:
		wire = fmt.Sprintf("Response: Success\r\nVariable: %s\r\nValue: 10.254.0.202:%d\r\n\r\n", req.Variable, 20000+2*(call%20000))
	default:
		wire = fmt.Sprintf("Response: Success\r\nVariable: %s\r\nValue: 10.254.0.1:%d\r\n\r\n", req.Variable, 10000+2*(call%5000))
	}
	msgs, err := ami.ReadAll(strings.NewReader(wire), 0)
	if err != nil || len(msgs) != 1 {
		b.Fatalf("answer %q: %v", wire, err)
	}
	if req.Kind == tracker.KindStatus {
		return ami.Response{Message: ami.Message{Fields: []ami.Field{{Key: "Response", Value: "Success"}}}, Events: msgs}
	}
	return ami.Response{Message: msgs[0]}
}

// heapInuse returns the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
