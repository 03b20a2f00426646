package ari_test

import (
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ari"
	"github.com/voipsdn/voipsdn/call"
)

// FuzzDecode: no frame from the PBX crashes the decoder or the Follower,
// or makes the Follower hold a leg without a call after its end, or report
// an event without the server name. Seeds: every recorded frame
// (testdata/fuzz/FuzzDecode holds a few malformed ones).
func FuzzDecode(f *testing.F) {
	for _, name := range recordings {
		for _, fr := range loadRecording(f, name).Frames {
			f.Add(fr.Data)
		}
	}
	prefix := loadRecording(f, "01-extmedia-201-to-501-app-hangs-up").Frames[:12]
	f.Fuzz(func(t *testing.T, frame []byte) {
		ev, err := ari.Decode(frame)
		if err != nil {
			return
		}
		fl := ari.NewFollower(ari.Options{Server: "pbx", MaxCalls: 4})
		check := func(evs []call.Event) {
			for _, e := range evs {
				if e.EventHeader().Server != "pbx" {
					t.Fatalf("event %T without server", e)
				}
			}
		}
		for _, p := range prefix {
			pe, err := ari.Decode(p.Data)
			if err != nil {
				t.Fatal(err)
			}
			check(fl.Apply(pe, time.Time{}))
		}
		check(fl.Apply(ev, time.Time{}))
		for _, r := range fl.TakeRequests() {
			check(fl.Answer(r, string(frame), nil, time.Time{}))
		}
		check(fl.Resync(ari.Snapshot{}, fl.Seq(), time.Time{}))
		if c, l := fl.Calls(); c != 0 || l != 0 {
			t.Fatalf("empty resync left %d calls %d legs", c, l)
		}
	})
}
