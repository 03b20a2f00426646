package tracker_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// TestUnicastRTPLiveWithoutDialplanClass: a live tracker whose session
// does not read class dialplan (the default events: no VarSet) learns an
// external media channel's local end with Getvar UNICASTRTP_LOCAL_*, never
// asks CHANNEL(rtp,...) of it (Asterisk answers an empty value and logs a
// warning each time), and reports its stream once it is bridged. The
// answers are the ones the recording ari01 shows for those Getvars.
func TestUnicastRTPLiveWithoutDialplanClass(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(capturesDir(t), "ari01-extmedia-201-to-501-app-hangs-up.txt"))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := ami.ReadAll(strings.NewReader(string(raw)), 0)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{
		"UNICASTRTP_LOCAL_ADDRESS": "10.0.100.1", "UNICASTRTP_LOCAL_PORT": "10054", // obs-4, obs-5
		"CHANNEL(rtp,dest)": "", "CHANNEL(rtp,src)": "", // obs-6, obs-7: empty on UnicastRTP
	}
	tr := tracker.New(tracker.Options{Server: "lab"})
	var media []tracker.MediaKnown
	now := time.Unix(1796624903, 0)
	collect := func(evs []tracker.Event) {
		for _, ev := range evs {
			if m, ok := ev.(tracker.MediaKnown); ok {
				media = append(media, m)
			}
		}
	}
	for _, m := range msgs {
		if m.Event() == "" || m.Event() == "VarSet" {
			continue // a session without class dialplan has no VarSet
		}
		collect(tr.Apply(m, now))
		for _, req := range tr.TakeRequests() {
			if !strings.HasPrefix(req.Channel, "UnicastRTP/") {
				continue
			}
			switch req.Kind {
			case tracker.KindGetvar:
				if strings.HasPrefix(req.Variable, "CHANNEL(rtp") {
					t.Errorf("asked %s of %s", req.Variable, req.Channel)
				}
				v := answers[req.Variable]
				resp := ami.Response{Message: ami.Message{Fields: []ami.Field{
					{Key: "Response", Value: "Success"}, {Key: "Variable", Value: req.Variable}, {Key: "Value", Value: v},
				}}}
				collect(tr.Answer(req, resp, nil, now))
			case tracker.KindStatus:
				collect(tr.Answer(req, ami.Response{}, ami.ErrNoSuchChannel, now))
			}
		}
	}
	var got []string
	for _, m := range media {
		if strings.HasPrefix(m.Leg.Channel, "UnicastRTP/") {
			got = append(got, m.Local.String()+" "+m.Remote.String()+" "+m.Codec+" "+string(m.Source)+" "+m.Leg.Bridge)
		}
	}
	want := "10.0.100.1:10054 10.0.100.204:40000 ulaw channelvars cef33c4b-c300-4773-8df7-8a50f8d73777"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("external media stream: got %q, want [%q]", got, want)
	}
}
