package tracker_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/ami/tracker"
)

// FuzzReplay feeds arbitrary server bytes (and arbitrary client actions, so
// that responses are routed to the tracker as answers) through a replay. The
// tracker must not panic, and what it reports must stay a consistent
// lifecycle whatever the server says: the QoS engine installs and removes
// flows on these events, so an inconsistency here is a leaked or a missing
// flow there.
func FuzzReplay(f *testing.F) {
	dir := filepath.Join("..", "testdata", "captures")
	for _, name := range []string{
		"02-call-201-to-202-bridged-25s-caller-hangup",
		"11-originate-local-407-milliwatt-to-echo",
		"15-actions-on-live-call-201-to-202",
	} {
		capture, err := os.ReadFile(filepath.Join(dir, name+".txt"))
		if err != nil {
			f.Fatal(err)
		}
		sent, _ := os.ReadFile(filepath.Join(dir, "sent", name+".sent"))
		f.Add(capture, sent)
	}
	f.Add([]byte(strings.Join([]string{
		"Event: Newchannel\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nChannel: PJSIP/201-1\r\nChannelState: 4\r\nChannelStateDesc: Ring\r\n\r\n",
		"Event: Newstate\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nChannel: PJSIP/201-1\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n\r\n",
		"Response: Success\r\nActionID: g1\r\nVariable: CHANNEL(rtp,dest)\r\nValue: 10.0.0.5:4000\r\n\r\n",
		"Event: RTCPSent\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nTo: 10.0.0.5:4001\r\nFrom: 10.0.0.1:10001\r\nReport0FractionLost: 300\r\nReport0IAJitter: -5\r\n\r\n",
		"Event: Hangup\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nCause: 16\r\n\r\n",
		"Event: Hangup\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nCause: 16\r\n\r\n",
	}, "")), []byte("Action: Getvar\r\nActionID: g1\r\nChannel: PJSIP/201-1\r\nVariable: CHANNEL(rtp,dest)\r\n\r\n"))
	f.Add([]byte(strings.Join([]string{
		"Event: Newstate\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nChannel: PJSIP/201-1\r\nChannelStateDesc: Up\r\n\r\n",
		"Event: Newstate\r\nUniqueid: 1.2\r\nLinkedid: 1.1\r\nChannel: PJSIP/202-2\r\nChannelStateDesc: Up\r\n\r\n",
		"Response: Success\r\nActionID: g1\r\nValue: 10.0.0.201:30000\r\n\r\n",
		"Response: Success\r\nActionID: d1\r\nValue: 10.0.0.202:30002\r\n\r\n",
		"Event: Hold\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\n\r\n",
		"Event: BridgeLeave\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nBridgeUniqueid: b\r\n\r\n",
		"Response: Success\r\nActionID: d2\r\nValue: (null)\r\n\r\n",
	}, "")), []byte("Action: Getvar\r\nActionID: g1\r\nChannel: PJSIP/201-1\r\nVariable: CHANNEL(rtp,dest)\r\n\r\n"+
		"Action: Getvar\r\nActionID: d1\r\nChannel: PJSIP/201-1\r\nVariable: CHANNEL(rtp,direct)\r\n\r\n"+
		"Action: Getvar\r\nActionID: d2\r\nChannel: PJSIP/202-2\r\nVariable: CHANNEL(rtp,direct)\r\n\r\n"))
	f.Add([]byte("Response: Success\r\nActionID: s\r\nEventList: start\r\n\r\nEvent: CoreShowChannel\r\nActionID: s\r\nUniqueid: 2\r\nLinkedid: 2\r\n\r\nEvent: CoreShowChannelsComplete\r\nActionID: s\r\nEventList: Complete\r\n\r\n"),
		[]byte("Action: CoreShowChannels\r\nActionID: s\r\n\r\n"))

	f.Fuzz(func(t *testing.T, capture, sent []byte) {
		var lc lifecycle
		tr, _ := tracker.Replay(bytes.NewReader(capture), bytes.NewReader(sent), "fuzz", func(ev tracker.Event) {
			if err := lc.apply(ev); err != "" {
				t.Fatalf("%T: %s", ev, err)
			}
		})
		open := map[string]bool{}
		for _, id := range tr.CallIDs() {
			open[id] = true
		}
		for id := range lc.calls {
			if !open[id] {
				t.Fatalf("call %q was started and never ended, but the tracker no longer has it", id)
			}
		}
		for id := range open {
			if !lc.calls[id] {
				t.Fatalf("the tracker holds call %q that it never reported started", id)
			}
		}
	})
}

// lifecycle checks the order of a tracker's events: calls and legs start
// before anything else is said of them and end once.
type lifecycle struct {
	calls map[string]bool // open calls
	legs  map[string]string
}

func (lc *lifecycle) apply(ev tracker.Event) string {
	if lc.calls == nil {
		lc.calls, lc.legs = map[string]bool{}, map[string]string{}
	}
	h := ev.EventHeader()
	leg := func(uid string) string {
		if call, ok := lc.legs[uid]; !ok || call != h.Call {
			return "about leg " + uid + " of call " + h.Call + ", which is not open"
		}
		return ""
	}
	switch e := ev.(type) {
	case tracker.CallStarted:
		if lc.calls[h.Call] {
			return "call " + h.Call + " started twice"
		}
		lc.calls[h.Call] = true
		lc.legs[e.Leg.Uniqueid] = h.Call
	case tracker.LegAdded:
		if !lc.calls[h.Call] {
			return "leg added to call " + h.Call + ", which is not open"
		}
		if _, ok := lc.legs[e.Leg.Uniqueid]; ok {
			return "leg " + e.Leg.Uniqueid + " added twice"
		}
		lc.legs[e.Leg.Uniqueid] = h.Call
	case tracker.LegAnswered:
		return leg(e.Leg.Uniqueid)
	case tracker.MediaKnown:
		if !e.Remote.IsValid() {
			return "media without a remote address"
		}
		return leg(e.Leg.Uniqueid)
	case tracker.QualityReport:
		if e.FractionLost < 0 || e.FractionLost > 1 || e.Jitter < 0 || e.RTT < 0 || e.MES < 0 || e.MES > 100 ||
			!e.Block && (e.FractionLost != 0 || e.Jitter != 0) || !e.RTTKnown && e.RTT != 0 {
			return "quality out of range"
		}
		return leg(e.Leg.Uniqueid)
	case tracker.LegEnded:
		if s := leg(e.Leg.Uniqueid); s != "" {
			return s
		}
		delete(lc.legs, e.Leg.Uniqueid)
	case tracker.CallEnded:
		if !lc.calls[h.Call] {
			return "call " + h.Call + " ended but is not open"
		}
		for uid, call := range lc.legs {
			if call == h.Call {
				return "call " + h.Call + " ended before its leg " + uid
			}
		}
		delete(lc.calls, h.Call)
	case tracker.Resynced:
		for _, id := range e.Calls {
			if !lc.calls[id] {
				return "resync lists call " + id + ", which is not open"
			}
		}
	}
	return ""
}
