package agi

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/agi/agisim"
)

// recordings: each FastAGI recording, with the channel it shows, replayed
// against voipsdn's server. The recorded server's commands differ from
// voipsdn's; what must match is the protocol's shape: the environment as
// Asterisk split it, one command at a time, the session ended by the
// server's close, and Asterisk's HANGUP after it (none with AGISIGHUP=no).
var recordings = []struct {
	name   string
	sc     agisim.Scenario
	split  string // the environment arrived in two reads, the first ending here ("" = one per line)
	result string
	class  bool
}{
	{name: "01-fastagi-403-before-answer", split: "agi_context: default\n",
		sc:     agisim.Scenario{Channel: agisim.Channel{Uniqueid: "1796624768.6"}},
		result: "emergency", class: true},
	{name: "02-fastagi-404-after-answer",
		sc: agisim.Scenario{Channel: agisim.Channel{Uniqueid: "1796624786.8", Answered: true,
			RTPDest: "10.0.100.201:25062", RTPSrc: "10.0.100.1:10096"}},
		result: "emergency", class: true},
	// 04, 05, 07 ran scripts voipsdn does not serve (hold, abort).
	{name: "04-fastagi-407-caller-hangs-up-mid-session", split: "agi_context: default\n",
		sc:     agisim.Scenario{Channel: agisim.Channel{Uniqueid: "1796624818.12", Answered: true}, HangupAfterEnv: true},
		result: ResultUnknownScript},
	{name: "05-fastagi-408-server-aborts-connection-rst", split: "agi_context: default\n",
		sc:     agisim.Scenario{Channel: agisim.Channel{Uniqueid: "1796624833.13", Answered: true}},
		result: ResultUnknownScript},
	{name: "07-fastagi-410-agisighup-no-caller-hangs-up", split: "agi_context: default\n",
		sc:     agisim.Scenario{Channel: agisim.Channel{Uniqueid: "1796625209.0", Answered: true}, HangupAfterEnv: true, NoSigHup: true},
		result: ResultUnknownScript},
}

func TestReplayRecordings(t *testing.T) {
	srv := startServer(t, Options{})
	classified := 0
	for _, rc := range recordings {
		t.Run(rc.name, func(t *testing.T) {
			from := readCapture(t, rc.name+".from-asterisk")
			sc := rc.sc
			sc.Env = agisim.EnvOf(from)
			if rc.split != "" {
				sc.EnvWrites = []int{bytes.Index(sc.Env, []byte(rc.split)) + len(rc.split)}
			}
			tr, err := agisim.Run(context.Background(), srv.addr, sc, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if !tr.ServerClosed {
				t.Error("the server did not end the session by closing its side")
			}
			var want []string
			if rc.class {
				want = append(want, "GET VARIABLE CHANNEL(linkedid)")
			}
			want = append(want, "SET VARIABLE VOIPSDN_QOS "+rc.result)
			if !slices.Equal(tr.Commands, want) {
				t.Errorf("commands %q, want %q", tr.Commands, want)
			}
			if v, _ := tr.Model.Var("VOIPSDN_QOS"); v != rc.result {
				t.Errorf("VOIPSDN_QOS = %q, want %q", v, rc.result)
			}
			endsHangup := bytes.HasSuffix(tr.Sent, []byte("HANGUP\n"))
			if endsHangup == sc.NoSigHup {
				t.Errorf("final HANGUP sent %v with AGISIGHUP=no %v", endsHangup, sc.NoSigHup)
			}
			if rc.class {
				classified++
			}
			evs := srv.sink.classified()
			if len(evs) != classified {
				t.Fatalf("%d Classified events, want %d", len(evs), classified)
			}
			if rc.class {
				ev := evs[len(evs)-1]
				if ev.Server != "pbx1" || ev.Uniqueid != sc.Channel.Uniqueid || ev.Call != sc.Channel.Uniqueid || ev.Class != "emergency" {
					t.Errorf("event %+v", ev)
				}
			}
		})
	}
	waitFor(t, "sessions to end", func() bool { return srv.Stats().Active == 0 })
	// 07's hang-up is invisible to the server: AGISIGHUP=no.
	st := srv.Stats()
	if st.Classified != 2 || st.UnknownScript != 3 || st.Hangups != 1 || st.ProtocolErrors != 0 || st.Sessions != 5 {
		t.Errorf("stats %+v", st)
	}
}

// TestRecordedServerCommandsAgainstAgisim is the other direction's check:
// every recording's env starts as the README says (22 variables, the
// script with its query, no agi_arg_N), and ParseRequest reads it.
func TestParseRecordedEnvironments(t *testing.T) {
	for _, rc := range recordings {
		env, hup, err := ReadEnv(NewReader(bytes.NewReader(readCapture(t, rc.name+".from-asterisk"))))
		if err != nil || hup || len(env) != 22 {
			t.Fatalf("%s: %d vars, hangup %v, err %v", rc.name, len(env), hup, err)
		}
		req, err := ParseRequest(env)
		if err != nil || req.Uniqueid != rc.sc.Channel.Uniqueid || req.Class != "emergency" || len(env.Args()) != 0 {
			t.Errorf("%s: %+v %v", rc.name, req, err)
		}
		if rc.class != (req.Script == ScriptQoS) || !strings.HasPrefix(env.Get("agi_request"), "agi://10.0.100.204:4573/") {
			t.Errorf("%s: script %q", rc.name, req.Script)
		}
		if env.Get("agi_accountcode") != "" || env[20].Name != "agi_accountcode" {
			t.Errorf("%s: agi_accountcode %+v", rc.name, env[20])
		}
	}
}
