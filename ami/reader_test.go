package ami

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// capturesDir is the repository's copy of the real Asterisk recordings
// (testdata/captures, see its PROVENANCE.md).
func capturesDir(t testing.TB) string {
	dir := filepath.Join("testdata", "captures")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("ami captures missing: %v", err)
	}
	return dir
}

func TestReaderBasics(t *testing.T) {
	in := "Asterisk Call Manager/11.0.0\r\n" +
		"Response: Success\r\nActionID: a1\r\nMessage: Authentication accepted\r\n\r\n" +
		"\r\n" + // stray blank line
		"Event: Newchannel\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nAccountCode: \r\nValue:   spaced  \r\n\r\n" +
		"no colon garbage\r\nEvent: Bare\nKey: lf\n\n"
	rd := NewReader(iotest.OneByteReader(strings.NewReader(in)), 0)
	var got []Message
	for {
		m, err := rd.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if len(got) != 4 {
		t.Fatalf("got %d messages, want 4: %v", len(got), got)
	}
	if got[0].Kind() != KindGreeting || got[0].Greeting() != "Asterisk Call Manager/11.0.0" {
		t.Errorf("greeting: %+v", got[0])
	}
	if got[1].Kind() != KindResponse || got[1].ActionID() != "a1" || got[1].Get("message") != "Authentication accepted" {
		t.Errorf("response: %+v", got[1])
	}
	ev := got[2]
	if ev.Kind() != KindEvent || ev.Event() != "Newchannel" {
		t.Errorf("event: %+v", ev)
	}
	if v := ev.Values("ChanVariable"); len(v) != 2 || v[0] != "A=1" || v[1] != "B=2" {
		t.Errorf("duplicates not kept in order: %q", v)
	}
	if v, ok := ev.Lookup("AccountCode"); !ok || v != "" {
		t.Errorf("empty value: %q %v", v, ok)
	}
	if v := ev.Get("Value"); v != "  spaced  " {
		t.Errorf("value spacing: %q", v)
	}
	if got[3].Get("Key") != "lf" || rd.Garbage != 1 {
		t.Errorf("LF message %+v, garbage %d", got[3], rd.Garbage)
	}
}

func TestReaderTruncated(t *testing.T) {
	rd := NewReader(strings.NewReader("Event: Cut\r\nKey: v"), 0)
	if _, err := rd.ReadMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
}

func TestReaderTooLarge(t *testing.T) {
	big := "Event: Big\r\nPayload: " + strings.Repeat("x", 200000) + "\r\n\r\nEvent: After\r\n\r\n"
	rd := NewReader(strings.NewReader(big), 64<<10)
	if _, err := rd.ReadMessage(); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("long line: err = %v", err)
	}
	many := "Event: Many\r\n" + strings.Repeat("K: v\r\n", 20000) + "\r\n"
	rd = NewReader(strings.NewReader(many), 64<<10)
	if _, err := rd.ReadMessage(); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("many fields: err = %v", err)
	}
}

func TestReaderLegacyFollows(t *testing.T) {
	in := "Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n" +
		"Channel              Location\nPJSIP/201-1: Up\n--END COMMAND--\r\n\r\n" +
		"Response: Success\r\nActionID: c2\r\n\r\n"
	msgs, err := ReadAll(strings.NewReader(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	r := Response{Message: msgs[0]}
	if out := r.Output(); len(out) != 2 || out[1] != "PJSIP/201-1: Up" || r.ActionID() != "c1" {
		t.Fatalf("legacy output %q id %q", out, r.ActionID())
	}
}

// TestReaderCaptures parses every capture: no garbage, no error, and the
// greeting first.
func TestReaderCaptures(t *testing.T) {
	dir := capturesDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rd := NewReader(bytes.NewReader(data), 0)
		n := 0
		for {
			m, err := rd.ReadMessage()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: message %d: %v", f, n+1, err)
			}
			if n == 0 && m.Greeting() != "Asterisk Call Manager/11.0.0" {
				t.Fatalf("%s: first message %v", f, m)
			}
			n++
		}
		if rd.Garbage != 0 || n < 2 {
			t.Errorf("%s: %d messages, %d garbage lines", f, n, rd.Garbage)
		}
	}
}

// TestCommandOutput checks capture 15's Command replies: Asterisk 22
// sends Response: Success with one Output field per line.
func TestCommandOutput(t *testing.T) {
	dir := capturesDir(t)
	f, err := os.Open(filepath.Join(dir, "15-actions-on-live-call-201-to-202.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := NewCorrelator()
	for _, id := range []string{"lab-3", "lab-30", "lab-33", "lab-34", "lab-28", "lab-38"} {
		c.Expect(id)
	}
	rd := NewReader(f, 0)
	done := map[string]Response{}
	for {
		m, err := rd.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if route, id, r := c.Feed(m); route == RouteDone {
			done[id] = r
		}
	}
	if out := done["lab-30"].Output(); len(out) != 6 || !strings.HasPrefix(out[5], "21 calls processed") {
		t.Errorf("core show channels output: %q", out)
	}
	if out := done["lab-33"].Output(); len(out) != 1 || !strings.HasPrefix(out[0], "Asterisk 22.10.1") {
		t.Errorf("core show version: %q", out)
	}
	if r := done["lab-3"]; len(r.Events) != 2 || r.Complete.Get("ListItems") != "2" || r.Events[0].Get("Uniqueid") != "1795502158.37" {
		t.Errorf("CoreShowChannels list: %d events, complete %v", len(r.Events), r.Complete)
	}
	if r := done["lab-34"]; len(r.Events) != 2 || r.Events[1].Get("Readformat") != "ulaw" {
		t.Errorf("Status list: %+v", r.Events)
	}
	if err := done["lab-28"].Err(); !errors.Is(err, ErrNoSuchChannel) {
		t.Errorf("lab-28: %v", err)
	}
	if err := done["lab-38"].Err(); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("lab-38: %v", err)
	}
	if c.Pending() != 0 {
		t.Errorf("%d actions still pending", c.Pending())
	}
}

func TestActionWireNoInjection(t *testing.T) {
	a := NewAction("Getvar", "Channel", "PJSIP/1\r\nAction: Hangup", "Variable", "X")
	got := string(a.AppendWire(nil, "id-1"))
	want := "Action: Getvar\r\nActionID: id-1\r\nChannel: PJSIP/1  Action: Hangup\r\nVariable: X\r\n\r\n"
	if got != want {
		t.Fatalf("wire:\n%q\nwant\n%q", got, want)
	}
}

// TestErrorResponsesFromCaptures: Permission denied (capture 17) and
// Authentication failed (capture 16) map to their sentinel errors.
func TestErrorResponsesFromCaptures(t *testing.T) {
	dir := capturesDir(t)
	for _, c := range []struct {
		file, id string
		want     error
	}{
		{"17-actions-before-login-and-events-off.txt", "lab-1", ErrPermissionDenied},
		{"17-actions-before-login-and-events-off.txt", "lab-2", ErrPermissionDenied},
		{"16-bad-login.txt", "lab-1", ErrAuthFailed},
	} {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := ReadAll(bytes.NewReader(data), 0)
		corr := NewCorrelator()
		corr.Expect(c.id)
		found := false
		for _, m := range msgs {
			if route, _, r := corr.Feed(m); route == RouteDone {
				found = true
				if err := r.Err(); !errors.Is(err, c.want) {
					t.Errorf("%s %s: %v, want %v", c.file, c.id, err, c.want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no response for %s", c.file, c.id)
		}
	}
}
