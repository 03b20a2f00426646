package ari_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/call"
)

// TestARIAgreesWithAMI: the ARI follower and the AMI tracker, each
// replaying its own recording of the same calls, name the same calls
// (Linkedid), file the same legs (Uniqueid) under them, and report the
// same media endpoints. (The AMI observer asked no Status, so its codec
// is not compared.) This is what lets a consumer of both sources of one
// PBX merge them by (Server, Uniqueid).
func TestARIAgreesWithAMI(t *testing.T) {
	for _, name := range recordings {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "ami", "testdata", "captures")
			capture, err := os.Open(filepath.Join(dir, "ari"+name+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			defer capture.Close()
			sent, err := os.Open(filepath.Join(dir, "sent", "ari"+name+".sent"))
			if err != nil {
				t.Fatal(err)
			}
			defer sent.Close()
			var amiEvs []call.Event
			if _, err := tracker.Replay(capture, sent, "lab", func(ev tracker.Event) { amiEvs = append(amiEvs, ev) }); err != nil {
				t.Fatal(err)
			}
			a, b := shape(amiEvs), shape(replay(t, name))
			if !slices.Equal(a, b) {
				t.Errorf("AMI:\n%q\nARI:\n%q", a, b)
			}
		})
	}
}

// shape lists, sorted, each leg's call and each stream's endpoints.
func shape(evs []call.Event) []string {
	var s []string
	for _, ev := range evs {
		switch e := ev.(type) {
		case call.CallStarted:
			s = append(s, "leg "+e.Leg.Uniqueid+" in "+e.Call)
		case call.LegAdded:
			s = append(s, "leg "+e.Leg.Uniqueid+" in "+e.Call)
		case call.MediaKnown:
			s = append(s, "media "+e.Leg.Uniqueid+" "+e.Local.String()+" <-> "+e.Remote.String()+" "+string(e.Source))
		case call.CallEnded:
			s = append(s, "end "+e.Call)
		}
	}
	slices.Sort(s)
	return s
}
