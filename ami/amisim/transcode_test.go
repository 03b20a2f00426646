package amisim_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
)

// TestTranscodingStatus: with the legs on different codecs, each leg's
// Status has the field layout of a real Asterisk 22 Status event (capture
// 15) and says what Asterisk says of a transcoded leg: its own codec in
// Nativeformats, the peer's in Read/Writeformat, and the translation paths.
func TestTranscodingStatus(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(capturesDir, "15-actions-on-live-call-201-to-202.txt"))
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := ami.ReadAll(strings.NewReader(string(data)), 0)
	var real []string
	for _, m := range msgs {
		if m.Event() == "Status" {
			real = keys(m)
			break
		}
	}
	if real == nil {
		t.Fatal("capture 15 has no Status event")
	}
	sim, addr := startSim(t, amisim.Options{RTCPInterval: -1})
	c := loggedIn(t, addr)
	ap := netip.MustParseAddrPort
	id, _ := sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "alaw", CalleeCodec: "ulaw",
		AnswerAfter: time.Millisecond, FromRTP: ap("10.254.0.201:20000"), ToRTP: ap("10.254.0.202:20002")})
	c.until(func(m ami.Message) bool { return m.Event() == "BridgeEnter" && m.Get("Uniqueid") == id })
	c.send("Action: Status\nActionID: st\n")
	want := map[string][5]string{
		"PJSIP/201": {"(alaw)", "ulaw", "(alaw@8000)->(ulaw@8000)", "ulaw", "(ulaw@8000)->(alaw@8000)"},
		"PJSIP/202": {"(ulaw)", "alaw", "(ulaw@8000)->(alaw@8000)", "alaw", "(alaw@8000)->(ulaw@8000)"},
	}
	seen := 0
	c.until(func(m ami.Message) bool {
		if m.Event() != "Status" {
			return m.Event() == "StatusComplete"
		}
		seen++
		if strings.Join(keys(m), ",") != strings.Join(real, ",") {
			t.Errorf("Status fields:\nsim  %v\nreal %v", keys(m), real)
		}
		name, _, _ := strings.Cut(m.Get("Channel"), "-")
		w, ok := want[name]
		got := [5]string{m.Get("Nativeformats"), m.Get("Readformat"), m.Get("Readtrans"), m.Get("Writeformat"), m.Get("Writetrans")}
		if !ok || got != w {
			t.Errorf("%s formats %q, want %q", m.Get("Channel"), got, w)
		}
		return false
	})
	if seen != 2 {
		t.Fatalf("%d Status events, want 2", seen)
	}
}
