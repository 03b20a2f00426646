package tracker

import (
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// bridged answers two legs of call 1.1 (phones .201 and .202 behind a PBX
// at .1), reports their anchored media and bridges them; it returns the
// direct media checks the bridge caused.
func bridged(t *testing.T, tr *Tracker) []Request {
	t.Helper()
	legs := []struct{ ch, uid, phone, pbx string }{
		{"PJSIP/201-1", "1.1", "10.0.0.201:30000", "10.0.0.1:10000"},
		{"PJSIP/202-2", "1.2", "10.0.0.202:30002", "10.0.0.1:10002"},
	}
	for _, l := range legs {
		tr.Apply(chanEv("Newstate", l.ch, l.uid, "1.1", "Up"), t0)
		reqs := tr.TakeRequests()
		tr.Answer(reqs[0], getvarResp(l.phone), nil, t0)
		tr.Answer(reqs[1], getvarResp(l.pbx), nil, t0)
		evs := tr.Answer(reqs[2], ami.Response{}, nil, t0)
		if mk, ok := evs[0].(MediaKnown); len(evs) != 1 || !ok || mk.Direct || mk.Local.String() != l.pbx {
			t.Fatalf("anchored media of %s: %+v", l.uid, evs)
		}
	}
	for i, l := range legs {
		tr.Apply(chanEv("BridgeEnter", l.ch, l.uid, "1.1", "Up", "BridgeUniqueid: b1"), t0)
		if r := tr.TakeRequests(); i == 0 && len(r) != 0 {
			t.Fatalf("direct media checked with one leg in the bridge: %+v", r)
		} else if i == 1 {
			return r
		}
	}
	return nil
}

// TestDirectMedia: once both legs are bridged, each is asked for
// CHANNEL(rtp,direct) after a delay; an address there means its phone now
// sends to the peer phone, and the leg's media is reported again with the
// peer as Local.
func TestDirectMedia(t *testing.T) {
	tr := New(Options{DirectMediaDelay: 300 * time.Millisecond})
	checks := bridged(t, tr)
	if len(checks) != 2 {
		t.Fatalf("want a check per leg, got %+v", checks)
	}
	for _, r := range checks {
		if r.Variable != VarRTPDirect || r.Delay != 300*time.Millisecond {
			t.Fatalf("check %+v", r)
		}
	}
	evs := tr.Answer(checks[0], getvarResp("10.0.0.202:30002"), nil, t0)
	mk, ok := evs[0].(MediaKnown)
	if len(evs) != 1 || !ok || !mk.Direct || mk.Remote.String() != "10.0.0.201:30000" || mk.Local.String() != "10.0.0.202:30002" {
		t.Fatalf("direct media of 1.1: %+v", evs)
	}
	// Anchored (Asterisk prints an unset address as "(null)"): nothing
	// new for a leg that was never direct.
	if evs := tr.Answer(checks[1], getvarResp("(null)"), nil, t0); len(evs) != 0 {
		t.Fatalf("anchored leg reported again: %+v", evs)
	}
	// A leg entering again is checked again; the same answers change
	// nothing.
	reenter := func() []Request {
		tr.Apply(chanEv("BridgeEnter", "PJSIP/201-1", "1.1", "1.1", "Up", "BridgeUniqueid: b1"), t0)
		r := tr.TakeRequests()
		if len(r) != 2 {
			t.Fatalf("checks after a re-enter: %+v", r)
		}
		return r
	}
	again := reenter()
	if evs := append(tr.Answer(again[0], getvarResp("10.0.0.202:30002"), nil, t0),
		tr.Answer(again[1], getvarResp("(null)"), nil, t0)...); len(evs) != 0 {
		t.Fatalf("unchanged media reported again: %+v", evs)
	}
	// Back to anchored: reported with the PBX again.
	again = reenter()
	evs = tr.Answer(again[0], getvarResp("(null)"), nil, t0)
	if mk, ok := evs[0].(MediaKnown); len(evs) != 1 || !ok || mk.Direct || mk.Local.String() != "10.0.0.1:10000" {
		t.Fatalf("leg 1.1 anchored again: %+v", evs)
	}
}

// TestDirectMediaForgottenOnBridgeLeave: a leg leaving its bridge is
// anchored again; it is reported afresh only when a later check says so,
// not on the way to its hangup.
func TestDirectMediaForgottenOnBridgeLeave(t *testing.T) {
	tr := New(Options{})
	checks := bridged(t, tr)
	tr.Answer(checks[0], getvarResp("10.0.0.202:30002"), nil, t0)
	if evs := tr.Apply(chanEv("BridgeLeave", "PJSIP/201-1", "1.1", "1.1", "Up", "BridgeUniqueid: b1"), t0); len(evs) != 0 {
		t.Fatalf("bridge leave: %+v", evs)
	}
	if l := tr.legs.get("1.1"); l.alt() != nil || l.reported {
		t.Fatalf("leg still direct after leaving the bridge: %+v", l)
	}
}

// TestDirectMediaChecksOff: a negative delay never asks, for PBXs whose
// endpoints all anchor media; nor are Local channels or replays asked.
func TestDirectMediaChecksOff(t *testing.T) {
	if checks := bridged(t, New(Options{DirectMediaDelay: -1})); len(checks) != 0 {
		t.Fatalf("checks with direct media checks off: %+v", checks)
	}
	tr := New(Options{Passive: true})
	for _, uid := range []string{"1.1", "1.2"} {
		tr.Apply(chanEv("BridgeEnter", "PJSIP/x-"+uid, uid, "1.1", "Up", "BridgeUniqueid: b1"), t0)
	}
	if r := tr.TakeRequests(); len(r) != 0 {
		t.Fatalf("a passive tracker asked: %+v", r)
	}
}

// TestResyncAsksBridgedLegsForDirectMedia: after a reconnect, a bridged
// call found by CoreShowChannels may already run direct: asked at once.
func TestResyncAsksBridgedLegsForDirectMedia(t *testing.T) {
	tr := New(Options{})
	req := tr.ResyncRequest()
	snap := []ami.Message{
		chanEv("CoreShowChannel", "PJSIP/201-1", "1.1", "1.1", "Up", "BridgeId: b1"),
		chanEv("CoreShowChannel", "PJSIP/202-2", "1.2", "1.1", "Up", "BridgeId: b1"),
		chanEv("CoreShowChannel", "PJSIP/203-3", "1.3", "1.3", "Up"),
	}
	tr.Answer(req, ami.Response{Events: snap}, nil, t0)
	direct := map[string]time.Duration{}
	for _, r := range tr.TakeRequests() {
		if r.Variable == VarRTPDirect {
			direct[r.Leg] = r.Delay
		}
	}
	if len(direct) != 2 || direct["1.1"] != 0 || direct["1.2"] != 0 {
		t.Fatalf("direct media checks after resync: %v", direct)
	}
}

// TestHoldChecksDirectMediaAgain: a hold or unhold re-INVITEs the phones,
// which can move a direct-media call back through Asterisk and out again,
// so the bridged legs are asked again.
func TestHoldChecksDirectMediaAgain(t *testing.T) {
	tr := New(Options{})
	checks := bridged(t, tr)
	tr.Answer(checks[0], getvarResp("10.0.0.202:30002"), nil, t0)
	tr.Answer(checks[1], getvarResp("10.0.0.201:30000"), nil, t0)
	for _, ev := range []string{"Hold", "Unhold"} {
		tr.Apply(chanEv(ev, "PJSIP/201-1", "1.1", "1.1", "Up", "MusicClass: default"), t0)
		r := tr.TakeRequests()
		if len(r) != 2 || r[0].Variable != VarRTPDirect || r[1].Variable != VarRTPDirect {
			t.Fatalf("%s: want both legs checked, got %+v", ev, r)
		}
		value := "(null)" // on hold, Asterisk plays music itself
		if ev == "Unhold" {
			value = "10.0.0.202:30002"
		}
		evs := tr.Answer(r[0], getvarResp(value), nil, t0)
		if mk, ok := evs[0].(MediaKnown); len(evs) != 1 || !ok || mk.Direct != (ev == "Unhold") {
			t.Fatalf("%s: leg 1.1 media %+v", ev, evs)
		}
		tr.Answer(r[1], getvarResp("10.0.0.201:30000"), nil, t0)
	}
}
