package tracker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/ami/tracker"
)

// capturesDir is the repository's copy of the real Asterisk recordings
// (ami/testdata/captures, see its PROVENANCE.md).
func capturesDir(t testing.TB) string {
	dir := filepath.Join("..", "testdata", "captures")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("ami captures missing: %v", err)
	}
	return dir
}

// summarize reduces a replay to sorted facts: one line per ended call,
// per ended leg, per leg's last media, per originate, per open call.
func summarize(evs []tracker.Event, tr *tracker.Tracker) []string {
	var out []string
	media := map[string]tracker.MediaKnown{}
	answered := map[string]bool{}
	for _, ev := range evs {
		switch e := ev.(type) {
		case tracker.CallEnded:
			out = append(out, fmt.Sprintf("call %s ended cause=%d dial=%s answered=%t reason=%q legs=%d",
				e.Call, e.Cause, e.DialStatus, e.Answered, e.Reason, len(e.Legs)))
		case tracker.LegEnded:
			out = append(out, fmt.Sprintf("leg %s %s call=%s cause=%d answered=%t local=%t peer=%s",
				e.Leg.Uniqueid, e.Leg.Channel, e.Call, e.Cause, answered[e.Leg.Uniqueid], e.Leg.Local, e.Leg.LocalPeer))
		case tracker.LegAnswered:
			answered[e.Leg.Uniqueid] = true
		case tracker.MediaKnown:
			media[e.Leg.Uniqueid] = e
		case tracker.OriginateResult:
			out = append(out, fmt.Sprintf("originate %s success=%t reason=%d leg=%s call=%s msg=%q",
				e.ActionID, e.Success, e.Reason, e.Leg, e.Call, e.Message))
		case tracker.CallStarted:
			if e.Resynced {
				out = append(out, fmt.Sprintf("resynced %s %s", e.Call, e.Leg.Channel))
			}
		}
	}
	for uid, m := range media {
		out = append(out, fmt.Sprintf("media %s local=%s remote=%s codec=%s source=%s", uid, m.Local, m.Remote, m.Codec, m.Source))
	}
	for _, id := range tr.CallIDs() {
		out = append(out, "open "+id)
	}
	sort.Strings(out)
	return out
}

// wantReplay holds, per capture, what the tracker must report. The
// values were checked by hand against the capture files.
var wantReplay = map[string][]string{
	"01-register-201-202": {},
	"02-call-201-to-202-bridged-25s-caller-hangup": {
		`call 1795501973.0 ended cause=16 dial=ANSWER answered=true reason="" legs=2`,
		`leg 1795501973.0 PJSIP/201-00000000 call=1795501973.0 cause=16 answered=true local=false peer=`,
		`leg 1795501973.1 PJSIP/202-00000001 call=1795501973.0 cause=16 answered=true local=false peer=`,
		`media 1795501973.0 local=10.254.0.1:10214 remote=10.254.0.201:20788 codec= source=rtcp`,
		`media 1795501973.1 local=10.254.0.1:10370 remote=10.254.0.202:20146 codec= source=rtcp`,
	},
	"03-call-201-to-202-bridged-12s-callee-hangup": {
		`call 1795502002.2 ended cause=16 dial=ANSWER answered=true reason="" legs=2`,
		`leg 1795502002.2 PJSIP/201-00000002 call=1795502002.2 cause=16 answered=true local=false peer=`,
		`leg 1795502002.3 PJSIP/202-00000003 call=1795502002.2 cause=16 answered=true local=false peer=`,
		`media 1795502002.2 local=10.254.0.1:10624 remote=10.254.0.201:20024 codec= source=rtcp`,
		`media 1795502002.3 local=10.254.0.1:10210 remote=10.254.0.202:20234 codec= source=rtcp`,
	},
	"04-call-201-to-401-answer-playback-echo-12s": {
		`call 1795502019.4 ended cause=0 dial= answered=true reason="" legs=1`,
		`leg 1795502019.4 PJSIP/201-00000004 call=1795502019.4 cause=0 answered=true local=false peer=`,
		`media 1795502019.4 local=10.254.0.1:10798 remote=10.254.0.201:20208 codec= source=rtcp`,
	},
	"05-call-201-to-404-busy-486": {
		`call 1795502037.5 ended cause=17 dial=BUSY answered=false reason="" legs=2`,
		`leg 1795502037.5 PJSIP/201-00000005 call=1795502037.5 cause=17 answered=false local=false peer=`,
		`leg 1795502037.6 PJSIP/204-00000006 call=1795502037.5 cause=17 answered=false local=false peer=`,
	},
	"06-call-201-to-405-unavailable-no-contact": {
		`call 1795502042.7 ended cause=3 dial=CHANUNAVAIL answered=false reason="" legs=1`,
		`leg 1795502042.7 PJSIP/201-00000007 call=1795502042.7 cause=3 answered=false local=false peer=`,
	},
	"07-call-201-to-410-ringing-noanswer-6s": {
		`call 1795502047.8 ended cause=16 dial=NOANSWER answered=false reason="" legs=2`,
		`leg 1795502047.8 PJSIP/201-00000008 call=1795502047.8 cause=16 answered=false local=false peer=`,
		`leg 1795502047.9 PJSIP/sipp-uas-00000009 call=1795502047.8 cause=0 answered=false local=false peer=`,
	},
	"08-call-201-to-410-ringing-caller-cancel": {
		`call 1795502057.10 ended cause=127 dial=CANCEL answered=false reason="" legs=2`,
		`leg 1795502057.10 PJSIP/201-0000000a call=1795502057.10 cause=127 answered=false local=false peer=`,
		`leg 1795502057.11 PJSIP/sipp-uas-0000000b call=1795502057.10 cause=127 answered=false local=false peer=`,
	},
	"09-call-201-to-499-no-such-extension": {},
	"10-originate-pjsip-202-to-401-async": {
		`call 1795502071.12 ended cause=16 dial=ANSWER answered=true reason="" legs=1`,
		`leg 1795502071.12 PJSIP/202-0000000c call=1795502071.12 cause=16 answered=true local=false peer=`,
		`media 1795502071.12 local=10.254.0.1:10100 remote=10.254.0.202:20434 codec= source=rtcp`,
		`originate lab-2 success=true reason=4 leg=1795502071.12 call=1795502071.12 msg=""`,
	},
	"11-originate-local-407-milliwatt-to-echo": {
		`call 1795502088.13 ended cause=0 dial=ANSWER answered=true reason="" legs=2`,
		`leg 1795502088.13 Local/407@default-00000000;1 call=1795502088.13 cause=0 answered=true local=true peer=1795502088.14`,
		`leg 1795502088.14 Local/407@default-00000000;2 call=1795502088.13 cause=0 answered=true local=true peer=1795502088.13`,
		`originate lab-2 success=true reason=4 leg=1795502088.13 call=1795502088.13 msg=""`,
	},
	"12-originate-failures-unavailable-and-sync": {
		`originate lab-2 success=false reason=0 leg= call= msg=""`,
		`originate lab-3 success=false reason=0 leg= call= msg="Originate failed"`,
		`originate lab-4 success=false reason=0 leg= call= msg=""`,
	},
	"13-call-201-to-403-async-agi": {
		`call 1795502104.15 ended cause=0 dial= answered=true reason="" legs=1`,
		`leg 1795502104.15 PJSIP/201-0000000d call=1795502104.15 cause=0 answered=true local=false peer=`,
		`media 1795502104.15 local=10.254.0.1:10146 remote=10.254.0.201:20932 codec= source=rtcp`,
	},
	"15-actions-on-live-call-201-to-202": {
		`call 1795502158.36 ended cause=16 dial=ANSWER answered=true reason="" legs=2`,
		`leg 1795502158.36 PJSIP/201-00000022 call=1795502158.36 cause=16 answered=true local=false peer=`,
		`leg 1795502158.37 PJSIP/202-00000023 call=1795502158.36 cause=16 answered=true local=false peer=`,
		`media 1795502158.36 local=10.254.0.1:10996 remote=10.254.0.201:20316 codec=ulaw source=getvar`,
		`media 1795502158.37 local=10.254.0.1:10018 remote=10.254.0.202:20046 codec=ulaw source=getvar`,
	},
	"15b-getvar-rtp-while-ringing-201-to-410": {
		`call 1795502172.39 ended cause=127 dial=CANCEL answered=false reason="" legs=2`,
		`leg 1795502172.39 PJSIP/201-00000024 call=1795502172.39 cause=127 answered=false local=false peer=`,
		`leg 1795502172.40 PJSIP/sipp-uas-00000025 call=1795502172.39 cause=127 answered=false local=false peer=`,
	},
	"16-bad-login":                        {},
	"16-bad-login-observer-admin-session": {},
	"17-actions-before-login-and-events-off": {
		`call 1795502188.42 ended cause=0 dial= answered=true reason="" legs=1`,
		`leg 1795502188.42 PJSIP/201-00000027 call=1795502188.42 cause=0 answered=true local=false peer=`,
		`open 1795502183.41`,
		`resynced 1795502183.41 PJSIP/201-00000026`,
	},
	"18-DEADLOCK-manager-channelvars-CHANNEL-rtp": {
		`open 1795501855.46`,
	},
	// What an AMI observer sees of ARI calls (ari/testdata/captures has
	// the ARI side). The external media (UnicastRTP) channel is a call of
	// its own (its Linkedid when first seen), answered through a Dial with
	// only Dest* headers; its stream is PBX UNICASTRTP_LOCAL_* <-> the
	// address in its name, codec from the DialString, reported once it is
	// bridged, so never in ari04, where it was never bridged.
	"ari01-extmedia-201-to-501-app-hangs-up": {
		`call 1796624903.0 ended cause=16 dial= answered=true reason="" legs=1`,
		`call 1796624903.1 ended cause=16 dial=ANSWER answered=true reason="" legs=1`,
		`leg 1796624903.0 PJSIP/201-00000000 call=1796624903.0 cause=16 answered=true local=false peer=`,
		`leg 1796624903.1 UnicastRTP/10.0.100.204:40000-0x7f106c0026f0 call=1796624903.1 cause=16 answered=true local=false peer=`,
		`media 1796624903.0 local=10.0.100.1:10980 remote=10.0.100.201:25064 codec= source=getvar`,
		`media 1796624903.1 local=10.0.100.1:10054 remote=10.0.100.204:40000 codec=ulaw source=channelvars`,
	},
	"ari02-extmedia-201-to-501-caller-hangs-up": {
		`call 1796624920.2 ended cause=16 dial= answered=true reason="" legs=1`,
		`call 1796624920.3 ended cause=16 dial=ANSWER answered=true reason="" legs=1`,
		`leg 1796624920.2 PJSIP/201-00000001 call=1796624920.2 cause=16 answered=true local=false peer=`,
		`leg 1796624920.3 UnicastRTP/10.0.100.204:40000-0x55a9990032f0 call=1796624920.3 cause=16 answered=true local=false peer=`,
		`media 1796624920.2 local=10.0.100.1:10446 remote=10.0.100.201:25062 codec= source=getvar`,
		`media 1796624920.3 local=10.0.100.1:10026 remote=10.0.100.204:40000 codec=ulaw source=channelvars`,
	},
	"ari03-b2bua-201-to-502-app-originates-202": {
		`call 1796624936.4 ended cause=16 dial= answered=true reason="" legs=1`,
		`call 1796624936.5 ended cause=16 dial=ANSWER answered=true reason="" legs=1`,
		`leg 1796624936.4 PJSIP/201-00000002 call=1796624936.4 cause=16 answered=true local=false peer=`,
		`leg 1796624936.5 PJSIP/202-00000003 call=1796624936.5 cause=16 answered=true local=false peer=`,
		`media 1796624936.4 local=10.0.100.1:10410 remote=10.0.100.201:25064 codec= source=getvar`,
		`media 1796624936.5 local=10.0.100.1:10780 remote=10.0.100.202:25060 codec= source=getvar`,
	},
	"ari04-extmedia-addChannel-too-early-422": {
		`call 1796624751.4 ended cause=16 dial= answered=true reason="" legs=1`,
		`call 1796624751.5 ended cause=16 dial=ANSWER answered=true reason="" legs=1`,
		`leg 1796624751.4 PJSIP/201-00000003 call=1796624751.4 cause=16 answered=true local=false peer=`,
		`leg 1796624751.5 UnicastRTP/10.0.100.204:40000-0x7f8bc80111b0 call=1796624751.5 cause=16 answered=true local=false peer=`,
		`media 1796624751.4 local=10.0.100.1:10786 remote=10.0.100.201:25062 codec= source=getvar`,
	},
}

func TestReplayCaptures(t *testing.T) {
	dir := capturesDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in %s: %v", dir, err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			capture, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer capture.Close()
			sent, err := os.Open(filepath.Join(dir, "sent", name+".sent"))
			if err != nil {
				t.Fatal(err)
			}
			defer sent.Close()
			var evs []tracker.Event
			tr, err := tracker.Replay(capture, sent, "lab", func(ev tracker.Event) { evs = append(evs, ev) })
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(evs, tr)
			want, ok := wantReplay[name]
			if !ok {
				t.Fatalf("no expectation for capture %s; got:\n%s", name, strings.Join(got, "\n"))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("replay of %s:\ngot:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	for name := range wantReplay {
		if !seen[name] {
			t.Errorf("expected capture %s not found", name)
		}
	}
}

// TestReplayWithoutSent: without the client's actions the Getvar answers
// cannot be matched; media then comes from RTCP, marked as such.
func TestReplayWithoutSent(t *testing.T) {
	dir := capturesDir(t)
	f, err := os.Open(filepath.Join(dir, "15-actions-on-live-call-201-to-202.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var media []tracker.MediaKnown
	if _, err := tracker.Replay(f, nil, "lab", func(ev tracker.Event) {
		if m, ok := ev.(tracker.MediaKnown); ok {
			media = append(media, m)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if len(media) != 2 || media[0].Source != tracker.SourceRTCP || media[0].Remote.String() != "10.254.0.202:20046" {
		t.Fatalf("media %+v", media)
	}
}
