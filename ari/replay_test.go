package ari_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ari"
	"github.com/voipsdn/voipsdn/ari/arisim"
	"github.com/voipsdn/voipsdn/call"
)

var recordings = []string{
	"01-extmedia-201-to-501-app-hangs-up",
	"02-extmedia-201-to-501-caller-hangs-up",
	"03-b2bua-201-to-502-app-originates-202",
	"04-extmedia-addChannel-too-early-422",
}

func loadRecording(t testing.TB, name string) *arisim.Recording {
	t.Helper()
	rec, err := arisim.Load(filepath.Join("testdata", "captures", name+".ari.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// replay feeds a recording's frames through a Follower, answering its
// variable requests at once from the simulated PBX at that point.
func replay(t testing.TB, name string) []call.Event {
	rec := loadRecording(t, name)
	sim := arisim.New(rec, "u", "p")
	f := ari.NewFollower(ari.Options{Server: "lab"})
	var out []call.Event
	for _, fr := range rec.Frames {
		sim.Play(1)
		ev, err := ari.Decode(fr.Data)
		if err != nil {
			t.Fatalf("frame at %.4f: %v", fr.T, err)
		}
		out = append(out, f.Apply(ev, time.Time{})...)
		for reqs := f.TakeRequests(); len(reqs) > 0; reqs = f.TakeRequests() {
			for _, r := range reqs {
				v, status, msg := sim.Variable(r.Channel, r.Variable)
				var err error
				if status != 200 {
					err = &ari.HTTPError{Status: status, Message: msg}
				}
				out = append(out, f.Answer(r, v, err, time.Time{})...)
			}
		}
	}
	if c, l := f.Calls(); c != 0 || l != 0 {
		t.Errorf("%s: %d calls, %d legs still open", name, c, l)
	}
	return out
}

// summary is one line per event, in order.
func summary(evs []call.Event) []string {
	var s []string
	for _, ev := range evs {
		h := ev.EventHeader()
		switch e := ev.(type) {
		case call.CallStarted:
			s = append(s, fmt.Sprintf("start %s %s %s", h.Call, e.Leg.Uniqueid, e.Leg.Channel))
		case call.LegAdded:
			s = append(s, fmt.Sprintf("add %s %s %s", h.Call, e.Leg.Uniqueid, e.Leg.Channel))
		case call.LegAnswered:
			s = append(s, fmt.Sprintf("answer %s %s", h.Call, e.Leg.Uniqueid))
		case call.MediaKnown:
			s = append(s, fmt.Sprintf("media %s %s local=%s remote=%s codec=%s source=%s bridge=%s", h.Call, e.Leg.Uniqueid, e.Local, e.Remote, e.Codec, e.Source, e.Leg.Bridge))
		case call.LegEnded:
			s = append(s, fmt.Sprintf("leg-end %s %s cause=%d %s", h.Call, e.Leg.Uniqueid, e.Cause, e.CauseText))
		case call.CallEnded:
			s = append(s, fmt.Sprintf("call-end %s cause=%d dial=%s answered=%v legs=%d reason=%q", h.Call, e.Cause, e.DialStatus, e.Answered, len(e.Legs), e.Reason))
		default:
			s = append(s, fmt.Sprintf("%T %s", ev, h.Call))
		}
		if h.Server != "lab" {
			s = append(s, "WRONG SERVER "+h.Server)
		}
	}
	return s
}

// wantReplay is what each recording shows (see its .ari-summary.txt,
// .ami-summary.txt and .media.txt): the calls by Linkedid as AMI names
// them, the legs by Uniqueid, the media endpoints of every stream that
// carried RTP, the hang-up causes.
var wantReplay = map[string][]string{
	// 201 -> Stasis; the app bridges it with an external media channel
	// (10.0.100.1:10054 <-> the echo server 10.0.100.204:40000, ulaw,
	// as media.txt shows) and hangs both up.
	"01-extmedia-201-to-501-app-hangs-up": {
		"start 1796624903.0 1796624903.0 PJSIP/201-00000000",
		"answer 1796624903.0 1796624903.0",
		"media 1796624903.0 1796624903.0 local=10.0.100.1:10980 remote=10.0.100.201:25064 codec=ulaw source=getvar bridge=",
		"start 1796624903.1 1796624903.1 UnicastRTP/10.0.100.204:40000-0x7f106c0026f0",
		"answer 1796624903.1 1796624903.1",
		"media 1796624903.1 1796624903.1 local=10.0.100.1:10054 remote=10.0.100.204:40000 codec=ulaw source=channelvars bridge=cef33c4b-c300-4773-8df7-8a50f8d73777",
		"leg-end 1796624903.0 1796624903.0 cause=16 Normal Clearing",
		"call-end 1796624903.0 cause=16 dial= answered=true legs=1 reason=\"\"",
		"leg-end 1796624903.1 1796624903.1 cause=16 Normal Clearing",
		"call-end 1796624903.1 cause=16 dial=ANSWER answered=true legs=1 reason=\"\"",
	},
	// The phone hangs up first; the external media channel stays, then
	// goes when the app deletes it.
	"02-extmedia-201-to-501-caller-hangs-up": {
		"start 1796624920.2 1796624920.2 PJSIP/201-00000001",
		"answer 1796624920.2 1796624920.2",
		"media 1796624920.2 1796624920.2 local=10.0.100.1:10446 remote=10.0.100.201:25062 codec=ulaw source=getvar bridge=",
		"start 1796624920.3 1796624920.3 UnicastRTP/10.0.100.204:40000-0x55a9990032f0",
		"answer 1796624920.3 1796624920.3",
		"media 1796624920.3 1796624920.3 local=10.0.100.1:10026 remote=10.0.100.204:40000 codec=ulaw source=channelvars bridge=5e495b60-a59f-4351-b68e-739ddd07fcf0",
		"leg-end 1796624920.2 1796624920.2 cause=16 Normal Clearing",
		"call-end 1796624920.2 cause=16 dial= answered=true legs=1 reason=\"\"",
		"leg-end 1796624920.3 1796624920.3 cause=16 Normal Clearing",
		"call-end 1796624920.3 cause=16 dial=ANSWER answered=true legs=1 reason=\"\"",
	},
	// The app originates 202 (a call of its own, as AMI's Linkedid says
	// until the bridge) and bridges it with the ringing caller.
	// 202 answers (the app's StasisStart comes only then), 201 is
	// answered by the app; both legs' media as media.txt shows.
	"03-b2bua-201-to-502-app-originates-202": {
		"start 1796624936.4 1796624936.4 PJSIP/201-00000002",
		"start 1796624936.5 1796624936.5 PJSIP/202-00000003",
		"answer 1796624936.5 1796624936.5",
		"media 1796624936.5 1796624936.5 local=10.0.100.1:10780 remote=10.0.100.202:25060 codec=ulaw source=getvar bridge=",
		"answer 1796624936.4 1796624936.4",
		"media 1796624936.4 1796624936.4 local=10.0.100.1:10410 remote=10.0.100.201:25064 codec=ulaw source=getvar bridge=d7e8ac26-a832-4f49-9168-6feff6b92ab5",
		"leg-end 1796624936.5 1796624936.5 cause=16 Normal Clearing",
		"call-end 1796624936.5 cause=16 dial=ANSWER answered=true legs=1 reason=\"\"",
		"leg-end 1796624936.4 1796624936.4 cause=16 Normal Clearing",
		"call-end 1796624936.4 cause=16 dial= answered=true legs=1 reason=\"\"",
	},
	// The external media channel never entered the bridge: no RTP to or
	// from 10.0.100.204, so no stream is reported for it.
	"04-extmedia-addChannel-too-early-422": {
		"start 1796624751.4 1796624751.4 PJSIP/201-00000003",
		"answer 1796624751.4 1796624751.4",
		"media 1796624751.4 1796624751.4 local=10.0.100.1:10786 remote=10.0.100.201:25062 codec=ulaw source=getvar bridge=",
		"start 1796624751.5 1796624751.5 UnicastRTP/10.0.100.204:40000-0x7f8bc80111b0",
		"answer 1796624751.5 1796624751.5",
		"leg-end 1796624751.4 1796624751.4 cause=16 Normal Clearing",
		"call-end 1796624751.4 cause=16 dial= answered=true legs=1 reason=\"\"",
		"leg-end 1796624751.5 1796624751.5 cause=16 Normal Clearing",
		"call-end 1796624751.5 cause=16 dial=ANSWER answered=true legs=1 reason=\"\"",
	},
}

func TestReplayRecordings(t *testing.T) {
	for _, name := range recordings {
		t.Run(name, func(t *testing.T) {
			got := summary(replay(t, name))
			want := wantReplay[name]
			if !slices.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
