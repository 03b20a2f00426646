package agisim

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const captures = "../testdata/captures"

// recorded is what the model needs to know of each recorded channel.
var recorded = []struct {
	name string
	sc   Scenario
	// answered is how many of the recorded server's commands Asterisk
	// answered (05: the server reset the connection during the last).
	answered int
}{
	{"01-fastagi-403-before-answer", Scenario{Channel: Channel{Uniqueid: "1796624768.6"}}, -1},
	{"02-fastagi-404-after-answer", Scenario{Channel: Channel{Uniqueid: "1796624786.8", Answered: true,
		RTPDest: "10.0.100.201:25062", RTPSrc: "10.0.100.1:10096"}}, -1},
	{"04-fastagi-407-caller-hangs-up-mid-session", Scenario{Channel: Channel{Uniqueid: "1796624818.12", Answered: true,
		RTPDest: "10.0.100.201:25060"}, HangupDuring: "WAIT FOR DIGIT"}, -1},
	{"05-fastagi-408-server-aborts-connection-rst", Scenario{Channel: Channel{Uniqueid: "1796624833.13", Answered: true,
		RTPDest: "10.0.100.201:25066"}}, 1},
	{"07-fastagi-410-agisighup-no-caller-hangs-up", Scenario{Channel: Channel{Uniqueid: "1796625209.0", Answered: true,
		RTPDest: "10.0.100.201:25060"}, HangupDuring: "WAIT FOR DIGIT", NoSigHup: true}, -1},
}

// TestModelAnswersLikeAsterisk: fed the commands the recorded server sent,
// the model writes exactly the bytes the real Asterisk wrote, environment,
// answers, HANGUP lines and the final HANGUP included.
func TestModelAnswersLikeAsterisk(t *testing.T) {
	for _, rc := range recorded {
		t.Run(rc.name, func(t *testing.T) {
			from, err := os.ReadFile(filepath.Join(captures, rc.name+".from-asterisk"))
			if err != nil {
				t.Fatal(err)
			}
			to, err := os.ReadFile(filepath.Join(captures, rc.name+".to-asterisk"))
			if err != nil {
				t.Fatal(err)
			}
			sc := rc.sc
			sc.Env = EnvOf(from)
			if sc.Env == nil {
				t.Fatal("no environment block")
			}
			m := NewModel(sc)
			var got bytes.Buffer
			for _, w := range m.EnvWrites() {
				got.Write(w)
			}
			cmds := strings.Split(strings.TrimSuffix(string(to), "\n"), "\n")
			if rc.answered >= 0 {
				cmds = cmds[:rc.answered]
			}
			for _, c := range cmds {
				got.WriteString(m.Answer(c))
			}
			if rc.answered < 0 {
				got.WriteString(m.Closed())
			}
			if !bytes.Equal(got.Bytes(), from) {
				t.Errorf("model wrote\n%q\nAsterisk wrote\n%q", got.Bytes()[len(sc.Env):], from[len(sc.Env):])
			}
		})
	}
}

// TestEnvWritesAsRecorded: one write per line by default (recording 02
// shows 23 reads), or the given split (01 shows two).
func TestEnvWritesAsRecorded(t *testing.T) {
	env := []byte("agi_network: yes\nagi_uniqueid: 1.2\n\n")
	if w := NewModel(Scenario{Env: env}).EnvWrites(); len(w) != 3 || string(w[2]) != "\n" {
		t.Errorf("per line: %q", w)
	}
	if w := NewModel(Scenario{Env: env, EnvWrites: []int{5}}).EnvWrites(); len(w) != 2 || string(w[0]) != "agi_n" {
		t.Errorf("split: %q", w)
	}
}
