package netevents

import (
	"testing"

	"github.com/voipsdn/voipsdn/call"
)

// A leg admission control refused is a best_effort record with its reason.
func TestBestEffortEventRecord(t *testing.T) {
	r, ok := CallRecordOf(call.BestEffort{Header: call.Header{Server: "pbx", Call: "1.3"}, Uniqueid: "1.4", Reason: "over_budget", Link: "wan"})
	if !ok || r.Event != CallBestEffort || r.Server != "pbx" || r.Call != "1.3" || r.Leg != "1.4" || r.Reason != "over_budget" {
		t.Errorf("record %+v %v", r, ok)
	}
}
