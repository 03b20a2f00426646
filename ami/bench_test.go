package ami

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// loopReader replays a buffer forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

// eventStream returns the events of a real capture (greeting and
// responses removed), so the benchmark parses what a busy server sends.
func eventStream(b *testing.B) ([]byte, int) {
	dir := capturesDir(b)
	data, err := os.ReadFile(filepath.Join(dir, "02-call-201-to-202-bridged-25s-caller-hangup.txt"))
	if err != nil {
		b.Fatal(err)
	}
	msgs, err := ReadAll(bytes.NewReader(data), 0)
	if err != nil {
		b.Fatal(err)
	}
	var out []byte
	n := 0
	for _, m := range msgs {
		if m.Kind() == KindEvent {
			out = append(out, m.String()...)
			n++
		}
	}
	return out, n
}

// BenchmarkReadMessage measures events parsed per second on one core.
func BenchmarkReadMessage(b *testing.B) {
	stream, n := eventStream(b)
	rd := NewReader(&loopReader{data: stream}, 0)
	b.SetBytes(int64(len(stream) / n))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rd.ReadMessage(); err != nil && err != io.EOF {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCorrelate measures the reader plus the routing every message
// goes through in the client.
func BenchmarkCorrelate(b *testing.B) {
	stream, n := eventStream(b)
	rd := NewReader(&loopReader{data: stream}, 0)
	c := NewCorrelator()
	b.SetBytes(int64(len(stream) / n))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := rd.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		c.Feed(m)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
