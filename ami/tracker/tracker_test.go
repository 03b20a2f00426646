package tracker

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// ev builds an event message from "Key: Value" lines.
func ev(lines ...string) ami.Message {
	var m ami.Message
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ": ")
		m.Fields = append(m.Fields, ami.Field{Key: k, Value: v})
	}
	return m
}

func chanEv(name, channel, uid, linked, state string, extra ...string) ami.Message {
	return ev(append([]string{"Event: " + name, "Channel: " + channel, "ChannelStateDesc: " + state,
		"Uniqueid: " + uid, "Linkedid: " + linked}, extra...)...)
}

func getvarResp(v string) ami.Response {
	return ami.Response{Message: ev("Response: Success", "Variable: x", "Value: "+v)}
}

var t0 = time.Unix(1795501973, 0).UTC()

func kinds(evs []Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, TypeName(e))
	}
	return strings.Join(s, ",")
}

func TestGetvarAfterAnswerWithRetry(t *testing.T) {
	tr := New(Options{Server: "x", GetvarRetries: 2})
	tr.Apply(chanEv("Newchannel", "PJSIP/201-1", "1.1", "1.1", "Ring"), t0)
	if r := tr.TakeRequests(); len(r) != 0 {
		t.Fatalf("requests before answer: %v", r)
	}
	evs := tr.Apply(chanEv("Newstate", "PJSIP/201-1", "1.1", "1.1", "Up"), t0)
	if kinds(evs) != "leg_answered" {
		t.Fatalf("events %s", kinds(evs))
	}
	reqs := tr.TakeRequests()
	if len(reqs) != 3 || reqs[0].Variable != VarRTPDest || reqs[1].Variable != VarRTPSrc || reqs[2].Kind != KindStatus {
		t.Fatalf("requests %+v", reqs)
	}
	if a := reqs[0].Action(); a.Name != "Getvar" || a.Get("Channel") != "PJSIP/201-1" {
		t.Fatalf("action %+v", a)
	}
	// Empty right after answer: retried with a delay, boundedly.
	retries := 0
	req := reqs[0]
	for {
		if evs := tr.Answer(req, getvarResp(""), nil, t0); len(evs) != 0 {
			t.Fatalf("events on empty value: %s", kinds(evs))
		}
		r := tr.TakeRequests()
		if len(r) == 0 {
			break
		}
		if r[0].Delay <= 0 {
			t.Fatal("retry without delay")
		}
		req = r[0]
		retries++
		if retries > 10 {
			t.Fatal("unbounded retries")
		}
	}
	if retries != 4 {
		t.Fatalf("%d retries, want 4 (2 per variable)", retries)
	}
	// A later resync asks again and the answers arrive.
	tr2 := New(Options{})
	tr2.Apply(chanEv("Newstate", "PJSIP/201-1", "1.1", "1.1", "Up"), t0)
	reqs = tr2.TakeRequests()
	tr2.Answer(reqs[0], getvarResp("10.0.0.5:4000"), nil, t0)
	if evs := tr2.Answer(reqs[1], getvarResp("10.0.0.1:10000"), nil, t0); len(evs) != 0 {
		t.Fatal("media reported before Status answered")
	}
	st := ami.Response{Events: []ami.Message{ev("Event: Status", "Uniqueid: 1.1", "Readformat: alaw", "Writeformat: alaw")}}
	evs = tr2.Answer(reqs[2], st, nil, t0)
	mk, ok := evs[0].(MediaKnown)
	if len(evs) != 1 || !ok || mk.Remote != netip.MustParseAddrPort("10.0.0.5:4000") ||
		mk.Local != netip.MustParseAddrPort("10.0.0.1:10000") || mk.Codec != "alaw" || mk.Source != SourceGetvar {
		t.Fatalf("media %+v", evs)
	}
}

func TestGetvarNoSuchChannelNotRetried(t *testing.T) {
	tr := New(Options{})
	tr.Apply(chanEv("Newstate", "PJSIP/201-1", "1.1", "1.1", "Up"), t0)
	reqs := tr.TakeRequests()
	err := &ami.ActionError{Action: "Getvar", Message: "No such channel"}
	if !errors.Is(err, ami.ErrNoSuchChannel) {
		t.Fatal("sentinel")
	}
	tr.Answer(reqs[0], ami.Response{}, err, t0)
	if r := tr.TakeRequests(); len(r) != 0 {
		t.Fatalf("retried a vanished channel: %+v", r)
	}
}

func TestLocalChannelsNotQueried(t *testing.T) {
	tr := New(Options{})
	tr.Apply(chanEv("Newstate", "Local/407@default-00000000;1", "1.1", "1.1", "Up"), t0)
	if r := tr.TakeRequests(); len(r) != 0 {
		t.Fatalf("queried a Local channel: %+v", r)
	}
}

func TestResync(t *testing.T) {
	tr := New(Options{})
	tr.Apply(chanEv("Newchannel", "PJSIP/a-1", "1.1", "1.1", "Ring"), t0)
	tr.Apply(chanEv("Newstate", "PJSIP/a-1", "1.1", "1.1", "Up"), t0)
	tr.Apply(chanEv("Newchannel", "PJSIP/b-2", "1.2", "1.2", "Ring"), t0)
	tr.TakeRequests()
	req := tr.ResyncRequest()
	// Created after the resync was asked: must survive its absence.
	tr.Apply(chanEv("Newchannel", "PJSIP/c-3", "1.3", "1.3", "Ring"), t0)
	// A channel that hung up after the snapshot was taken.
	tr.Apply(chanEv("Newchannel", "PJSIP/d-4", "1.4", "1.4", "Ring"), t0)
	tr.Apply(chanEv("Hangup", "PJSIP/d-4", "1.4", "1.4", "Ring", "Cause: 16"), t0)
	snap := []ami.Message{
		chanEv("CoreShowChannel", "PJSIP/b-2", "1.2", "1.2", "Up"),
		chanEv("CoreShowChannel", "PJSIP/d-4", "1.4", "1.4", "Ring"),
		chanEv("CoreShowChannel", "PJSIP/e-5", "1.5", "1.5", "Up", "Duration: 00:01:00"),
	}
	evs := tr.Answer(req, ami.Response{Events: snap}, nil, t0.Add(time.Hour))
	got := kinds(evs)
	if got != "leg_answered,call_started,leg_answered,leg_ended,call_ended,resynced" {
		t.Fatalf("events %s", got)
	}
	end := evs[4].(CallEnded)
	if end.Call != "1.1" || end.Reason != ReasonDisconnected || !end.Answered {
		t.Fatalf("end %+v", end)
	}
	if cs := evs[1].(CallStarted); !cs.Resynced || cs.Call != "1.5" {
		t.Fatalf("start %+v", cs)
	}
	// The resync ends with the complete list of live calls.
	if rs := evs[5].(Resynced); !slices.Equal(rs.Calls, []string{"1.2", "1.3", "1.5"}) {
		t.Fatalf("resynced %+v", rs)
	}
	calls, legs := tr.Calls()
	if calls != 3 || legs != 3 { // 1.2, 1.3, 1.5
		t.Fatalf("%d calls %d legs", calls, legs)
	}
	// The answered snapshot legs are queried; so are re-found ones.
	if r := tr.TakeRequests(); len(r) != 6 {
		t.Fatalf("%d requests", len(r))
	}
	// A second hangup event for the resync-closed leg is ignored.
	if evs := tr.Apply(chanEv("Hangup", "PJSIP/a-1", "1.1", "1.1", "Up", "Cause: 16"), t0); len(evs) != 0 {
		t.Fatalf("events %s", kinds(evs))
	}
}

func TestRTCPQuality(t *testing.T) {
	tr := New(Options{Passive: true})
	tr.Apply(chanEv("Newstate", "PJSIP/a-1", "1.1", "1.1", "Up"), t0)
	evs := tr.Apply(chanEv("RTCPReceived", "PJSIP/a-1", "1.1", "1.1", "Up",
		"To: 10.0.0.1:10001", "From: 10.0.0.5:4001", "RTT: 0.0200", "MES: 88.1",
		"Report0FractionLost: 64", "Report0CumulativeLost: 7", "Report0IAJitter: 80", "Report0LSR: 2920947154"), t0)
	if kinds(evs) != "media_known,quality" {
		t.Fatalf("events %s", kinds(evs))
	}
	mk := evs[0].(MediaKnown)
	if mk.Source != SourceRTCP || mk.Local.String() != "10.0.0.1:10000" || mk.Remote.String() != "10.0.0.5:4000" {
		t.Fatalf("inferred media %+v", mk)
	}
	q := evs[1].(QualityReport)
	if !q.Block || q.FractionLost != 0.25 || q.CumulativeLost != 7 || q.Jitter != 10*time.Millisecond ||
		!q.RTTKnown || q.RTT != 20*time.Millisecond || q.MES != 88.1 || q.Direction != "received" {
		t.Fatalf("quality %+v", q)
	}
}

// TestRTCPQualityUnmeasured: what a report does not measure is not
// reported as zero. A sender report without a block (the phone has received
// nothing yet), a block echoing no sender report of ours (LSR 0: Asterisk
// prints RTT 0), and fields outside their RTCP wire ranges.
func TestRTCPQualityUnmeasured(t *testing.T) {
	for _, tc := range []struct {
		name          string
		fields        []string
		block, rttSet bool
	}{
		{"no block", []string{"ReportCount: 0", "RTT: 0.0000"}, false, false},
		{"first report", []string{"RTT: 0.0000", "Report0FractionLost: 0", "Report0CumulativeLost: 0", "Report0IAJitter: 8", "Report0LSR: 0"}, true, false},
		{"fraction over 8 bits", []string{"RTT: 0.0100", "Report0FractionLost: 256", "Report0CumulativeLost: 0", "Report0IAJitter: 8", "Report0LSR: 5"}, false, false},
		{"negative jitter", []string{"Report0FractionLost: 1", "Report0CumulativeLost: 0", "Report0IAJitter: -8", "Report0LSR: 5"}, false, false},
		{"lost over 24 bits", []string{"Report0FractionLost: 1", "Report0CumulativeLost: 8388608", "Report0IAJitter: 8", "Report0LSR: 5"}, false, false},
		{"negative rtt", []string{"RTT: -1", "Report0FractionLost: 1", "Report0CumulativeLost: -3", "Report0IAJitter: 8", "Report0LSR: 5"}, true, false},
		{"measured", []string{"RTT: 0.0300", "Report0FractionLost: 1", "Report0CumulativeLost: -3", "Report0IAJitter: 8", "Report0LSR: 5"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(Options{Passive: true})
			tr.Apply(chanEv("Newstate", "PJSIP/a-1", "1.1", "1.1", "Up"), t0)
			f := append([]string{"To: 10.0.0.1:10001", "From: 10.0.0.5:4001", "MES: 120"}, tc.fields...)
			evs := tr.Apply(chanEv("RTCPReceived", "PJSIP/a-1", "1.1", "1.1", "Up", f...), t0)
			q := evs[len(evs)-1].(QualityReport)
			if q.Block != tc.block || q.RTTKnown != tc.rttSet || q.MES != 0 {
				t.Fatalf("block %t rtt known %t mes %v, want %t %t 0", q.Block, q.RTTKnown, q.MES, tc.block, tc.rttSet)
			}
			if !q.Block && (q.FractionLost != 0 || q.Jitter != 0 || q.CumulativeLost != 0) {
				t.Fatalf("figures from a rejected block: %+v", q)
			}
		})
	}
}

func TestEventTime(t *testing.T) {
	m := ev("Event: X", "Timestamp: 1795501973.118437")
	if got := eventTime(m, time.Time{}); got != time.Unix(1795501973, 118437000).UTC() {
		t.Fatalf("got %v", got)
	}
	now := time.Unix(5, 0)
	if got := eventTime(ev("Event: X"), now); got != now {
		t.Fatalf("no timestamp: %v", got)
	}
}
