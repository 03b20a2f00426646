package qos

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// admissionQoS: one link, sw1 port 10, with room for two G.711 calls
// (87.2 kbit/s a stream) and not three; an exempt class.
func admissionQoS() *config.QoS {
	return &config.QoS{
		CodecKbps: map[string]float64{"g711": 87.2, "g729": 31.2}, DefaultKbps: 87.2,
		Classes: []*config.QoSClass{{Name: "emergency", Admission: config.AdmissionExempt}, {Name: "plain", Admission: config.AdmissionBudget}},
		Admission: &config.Admission{Links: []*config.AdmissionLink{
			{Name: "wan", DP: "sw1", Port: 10, CapacityKbps: 400, VoiceSharePercent: 50},
		}},
	}
}

var pbxMedia = netip.MustParseAddr("10.0.100.1")

// admLocator: phone i is 10.0.0.i on sw1 port i; the PBX on the uplink.
func admLocator() fakeLocator {
	loc := fakeLocator{pbxMedia: {DP: "sw1", DPID: 1, Port: 10}}
	for i := 1; i < 10; i++ {
		loc[phone(i)] = Location{DP: "sw1", DPID: 1, Port: uint32(i)}
	}
	return loc
}

func phone(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}) }

// phoneLeg is call n's leg from phone i to the PBX.
func phoneLeg(n, i int, codec, class string) Leg {
	return Leg{Server: "pbx", Call: fmt.Sprint("call", n), ID: fmt.Sprint("leg", n, ".", i), Codec: codec, Class: class,
		Remote: netip.AddrPortFrom(phone(i), 30000), Local: netip.AddrPortFrom(pbxMedia, 10000)}
}

func admit(a *Admission, q *config.QoS, loc Locator, l Leg) Decision {
	return a.Admit(l, Crossings(q, l, loc))
}

func TestCrossingsPathRule(t *testing.T) {
	q, loc := admissionQoS(), admLocator()
	x := Crossings(q, phoneLeg(1, 1, "g729", ""), loc)
	if len(x) != 2 || x[0] != (Crossing{"wan", LinkUp, 31.2}) || x[1] != (Crossing{"wan", LinkDown, 31.2}) {
		t.Errorf("phone to PBX: %+v", x)
	}
	// Phone to phone on the same switch does not cross the uplink.
	l := phoneLeg(2, 1, "g711", "")
	l.Local = netip.AddrPortFrom(phone(2), 30002)
	if x := Crossings(q, l, loc); len(x) != 0 {
		t.Errorf("local call crosses %+v", x)
	}
	// A direct leg owns its phone's stream only; a peer never learned
	// is beyond the link.
	l.Local, l.Direct = netip.MustParseAddrPort("192.0.2.7:4000"), true
	if x := Crossings(q, l, loc); len(x) != 1 || x[0].Dir != LinkUp {
		t.Errorf("direct leg to a WAN peer: %+v", x)
	}
	// A phone not learned is not counted.
	if x := Crossings(q, phoneLeg(3, 9, "g711", ""), fakeLocator{}); len(x) != 0 {
		t.Errorf("unlocated phone crosses %+v", x)
	}
}

// TestAdmissionBudget: two G.711 calls fit the 200 kbit/s budget, the
// third is refused with the link, calls ending release their budget, and
// the refused call's later legs stay refused.
func TestAdmissionBudget(t *testing.T) {
	q, loc := admissionQoS(), admLocator()
	a := NewAdmission(q)
	for n := 1; n <= 2; n++ {
		if d := admit(a, q, loc, phoneLeg(n, n, "g711", "")); !d.Admitted || !d.New {
			t.Fatalf("call %d: %+v", n, d)
		}
	}
	if u := a.Used("wan", LinkUp); u != 174.4 {
		t.Errorf("used up %v", u)
	}
	if d := admit(a, q, loc, phoneLeg(3, 3, "g711", "")); d.Admitted || d.Link != "wan" || !d.New {
		t.Fatalf("third call: %+v", d)
	}
	if u := a.Used("wan", LinkDown); u != 174.4 {
		t.Errorf("a refused call is counted: %v", u)
	}
	// Its other leg is refused too, even once there is room.
	a.CallEnded("pbx", "call1")
	if u := a.Used("wan", LinkUp); u != 87.2 {
		t.Errorf("ended call not released: %v", u)
	}
	if d := admit(a, q, loc, phoneLeg(3, 4, "g711", "")); d.Admitted || d.New {
		t.Errorf("refused call's second leg: %+v", d)
	}
	// A new call takes the room call 1 left; a leg ending releases it.
	if d := admit(a, q, loc, phoneLeg(5, 5, "g711", "")); !d.Admitted {
		t.Errorf("call 5 after call 1 ended: %+v", d)
	}
	a.LegEnded("pbx", "call5", "leg5.5")
	if u := a.Used("wan", LinkUp); u != 87.2 {
		t.Errorf("ended leg not released: %v", u)
	}
	// A later leg of an admitted call is admitted and counted even over
	// the budget: admitted calls are never evicted or half served.
	admit(a, q, loc, phoneLeg(6, 6, "g711", ""))
	if d := admit(a, q, loc, phoneLeg(2, 7, "g711", "")); !d.Admitted || d.New || a.Used("wan", LinkUp) != 3*87.2 {
		t.Errorf("second leg of call 2: %+v, used %v", d, a.Used("wan", LinkUp))
	}
	// A re-report with another codec replaces what the leg counted.
	admit(a, q, loc, phoneLeg(2, 7, "g729", ""))
	if u := a.Used("wan", LinkUp); u < 2*87.2+31.2-1e-9 || u > 2*87.2+31.2+1e-9 {
		t.Errorf("re-reported leg: used %v", u)
	}
}

func TestAdmissionExemptAndFits(t *testing.T) {
	q, loc := admissionQoS(), admLocator()
	a := NewAdmission(q)
	admit(a, q, loc, phoneLeg(1, 1, "g711", ""))
	admit(a, q, loc, phoneLeg(2, 2, "g711", "plain"))
	if ok, l := a.Fits("plain", a.AssumedKbps()); ok || l != "wan" {
		t.Errorf("Fits with the budget full: %v %q", ok, l)
	}
	if ok, _ := a.Fits("emergency", a.AssumedKbps()); !ok {
		t.Errorf("exempt class does not fit")
	}
	if d := admit(a, q, loc, phoneLeg(3, 3, "g711", "emergency")); !d.Admitted {
		t.Errorf("exempt call refused: %+v", d)
	}
	if u := a.Used("wan", LinkUp); u != 3*87.2 {
		t.Errorf("exempt call not counted: %v", u)
	}
	// The best effort gets what the voice leaves, not less than 1%.
	if r := a.BestEffortKbps("wan"); r != 138 {
		t.Errorf("best effort %d kbit/s, want 400-261.6", r)
	}
	for n := 4; n < 9; n++ {
		admit(a, q, loc, phoneLeg(n, n, "g711", "emergency"))
	}
	if r := a.BestEffortKbps("wan"); r != 4 {
		t.Errorf("best effort with the link full of exempt calls: %d", r)
	}
	q.Admission.AssumeCodec = "g729"
	if a.AssumedKbps() != 31.2 {
		t.Errorf("assume_codec ignored")
	}
}

// TestAdmissionRebuild: a restarted accountant fed the calls still up, in
// the order they are re-reported, counts what the old one counted for
// them, and the calls that ended meanwhile are not counted.
func TestAdmissionRebuild(t *testing.T) {
	q, loc := admissionQoS(), admLocator()
	before := NewAdmission(q)
	var up []Leg
	for n := 1; n <= 3; n++ {
		l := phoneLeg(n, n, "g711", "")
		if n == 1 {
			l.Codec = "g729"
		}
		admit(before, q, loc, l)
		up = append(up, l)
	}
	before.CallEnded("pbx", "call1") // ends while the controller is down
	up = up[1:]
	after := NewAdmission(q)
	var got []bool
	for _, l := range up {
		got = append(got, admit(after, q, loc, l).Admitted)
	}
	if !got[0] || !got[1] {
		t.Errorf("calls up re-admitted: %v", got)
	}
	for _, dir := range []LinkDir{LinkUp, LinkDown} {
		if after.Used("wan", dir) != 2*87.2 {
			t.Errorf("rebuilt %v: %v, want %v", dir, after.Used("wan", dir), 2*87.2)
		}
	}
	if d := admit(after, q, loc, phoneLeg(4, 4, "g711", "")); d.Admitted {
		t.Errorf("rebuilt budget admits a third G.711 call")
	}
}
