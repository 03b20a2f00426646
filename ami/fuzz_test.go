package ami

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const fuzzMax = 64 << 10

// FuzzReader: any input parses without panic, every message respects the
// bound, and the correlator accepts whatever comes out.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: 1\r\n\r\n",
		"Response: Follows\r\nActionID: 1\r\nraw\n--END COMMAND--\r\n\r\n",
		"Response: Follows\r\nno end",
		"Response: Success\r\nActionID: 2\r\nEventList: start\r\n\r\nEvent: X\r\nActionID: 2\r\nEventList: Complete\r\n\r\n",
		"\x00\xff:\r\n:\r\n\r\n\n\n",
		"Event: A\nKey:\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	for _, name := range []string{"17-actions-before-login-and-events-off.txt", "12-originate-failures-unavailable-and-sync.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "captures", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastMatchesSlow(t, data)
		rd := NewReader(bytes.NewReader(data), fuzzMax)
		c := NewCorrelator()
		c.Expect("1")
		c.Expect("2")
		for i := 0; i < len(data)+2; i++ {
			m, err := rd.ReadMessage()
			if err != nil {
				if err == io.EOF && i > len(data) {
					t.Fatal("more messages than bytes")
				}
				return
			}
			size := 0
			for _, fl := range m.Fields {
				size += len(fl.Key) + len(fl.Value)
			}
			if size > fuzzMax {
				t.Fatalf("message of %d bytes passed a %d bound", size, fuzzMax)
			}
			c.Feed(m)
			_ = m.Kind()
			_ = m.String()
		}
		t.Fatal("reader did not stop")
	})
}

// checkFastMatchesSlow parses data with and without the fast path; both
// must give the same messages, errors and garbage count.
func checkFastMatchesSlow(t *testing.T, data []byte) {
	a := NewReader(bytes.NewReader(data), fuzzMax)
	b := NewReader(bytes.NewReader(data), fuzzMax)
	b.slowOnly = true
	for {
		ma, ea := a.ReadMessage()
		mb, eb := b.ReadMessage()
		if (ea == nil) != (eb == nil) || ea != nil && ea.Error() != eb.Error() {
			t.Fatalf("errors differ: fast %v, slow %v", ea, eb)
		}
		if ea != nil {
			break
		}
		if ma.String() != mb.String() || len(ma.Fields) != len(mb.Fields) {
			t.Fatalf("messages differ:\nfast %q\nslow %q", ma.String(), mb.String())
		}
		for i := range ma.Fields {
			if ma.Fields[i] != mb.Fields[i] {
				t.Fatalf("field %d differs: %q vs %q", i, ma.Fields[i], mb.Fields[i])
			}
		}
	}
	if a.Garbage != b.Garbage {
		t.Fatalf("garbage: fast %d, slow %d", a.Garbage, b.Garbage)
	}
}

// TestFastMatchesSlowCaptures runs the differential check over every
// capture.
func TestFastMatchesSlowCaptures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(capturesDir(t), "*.txt"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkFastMatchesSlow(t, data)
	}
}
