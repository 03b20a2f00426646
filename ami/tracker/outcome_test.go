package tracker_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/voipsdn/voipsdn/ami/tracker"
)

// TestOutcomeOfRealCalls: the outcome each recorded call is counted under
// in voipsdn_calls_total.
func TestOutcomeOfRealCalls(t *testing.T) {
	want := map[string]string{
		"02-call-201-to-202-bridged-25s-caller-hangup": tracker.OutcomeAnswered,
		"03-call-201-to-202-bridged-12s-callee-hangup": tracker.OutcomeAnswered,
		"04-call-201-to-401-answer-playback-echo-12s":  tracker.OutcomeAnswered,
		"05-call-201-to-404-busy-486":                  tracker.OutcomeBusy,
		"06-call-201-to-405-unavailable-no-contact":    tracker.OutcomeFailed,
		"07-call-201-to-410-ringing-noanswer-6s":       tracker.OutcomeNoAnswer,
		"08-call-201-to-410-ringing-caller-cancel":     tracker.OutcomeCancelled,
		"10-originate-pjsip-202-to-401-async":          tracker.OutcomeAnswered,
	}
	for name, outcome := range want {
		f, err := os.Open(filepath.Join(capturesDir(t), name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, err = tracker.Replay(f, nil, "lab", func(ev tracker.Event) {
			if e, ok := ev.(tracker.CallEnded); ok {
				got = append(got, tracker.Outcome(e))
			}
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != outcome {
			t.Errorf("%s: outcomes %v, want [%s]", name, got, outcome)
		}
	}
	if o := tracker.Outcome(tracker.CallEnded{Cause: 16}); o != tracker.OutcomeUnknown {
		t.Errorf("unanswered normal clearing without a dial: %s", o)
	}
}
