package qos

import (
	"net/netip"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

func testPolicy(mode string) *config.QoS {
	q := uint32(5)
	return &config.QoS{
		VoiceDSCP: 46, SignallingDSCP: 24, SIPPorts: []uint16{5060},
		Queue: &q, RTPPortRange: [2]uint16{10000, 10999},
		CodecKbps: map[string]float64{"ulaw": 87.2, "g729": 31.2}, DefaultKbps: 87.2,
		HeadroomPercent: 10, Pinhole: mode, IdleTimeout: 60 * time.Second, MaxCalls: 100,
		PBXAddresses: []netip.Addr{netip.MustParseAddr("10.254.0.1")},
	}
}

// covered reports whether port p is matched by one of fs.
func covered(fs []of13.MatchField, p uint16) bool {
	for _, f := range fs {
		if uint64(p)&f.MaskUint() == f.Uint() {
			return true
		}
	}
	return false
}

func TestPortRangeFieldsCoverExactly(t *testing.T) {
	for _, r := range [][2]uint16{{10000, 20000}, {10000, 10999}, {0, 65535}, {5060, 5060}, {1, 2}, {65534, 65535}} {
		fs := portRangeFields(of13.FieldUDPDst, r[0], r[1])
		for p := 0; p <= 65535; p++ {
			in := uint16(p) >= r[0] && uint16(p) <= r[1]
			if got := covered(fs, uint16(p)); got != in {
				t.Fatalf("range %v: port %d covered=%v, want %v", r, p, got, in)
			}
		}
	}
	if n := len(portRangeFields(of13.FieldUDPDst, 10000, 20000)); n > 16 {
		t.Errorf("10000-20000 took %d blocks; the minimal cover is far smaller", n)
	}
}

func TestCallCookie(t *testing.T) {
	a := CallCookie("pbx1", "1795502158.36")
	if !IsCallCookie(a) || a != CallCookie("pbx1", "1795502158.36") {
		t.Fatalf("cookie %#x is not a stable call cookie", a)
	}
	if a == CallCookie("pbx2", "1795502158.36") || a == CallCookie("pbx1", "1795502158.37") {
		t.Fatal("different calls share a cookie")
	}
	if IsCallCookie(0x5adc15c0) {
		t.Fatal("the Faucet DP cookie must not look like a call cookie")
	}
}

func TestStandingFlowsByMode(t *testing.T) {
	pl := Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}, Cookie: 0x5adc15c0}
	count := func(fs []of13.Flow, prio uint16, drop bool) int {
		n := 0
		for _, f := range fs {
			isDrop := !f.Instr.HasGoto && len(f.Instr.Apply) == 0
			if f.Priority == prio && isDrop == drop {
				n++
			}
		}
		return n
	}
	off := StandingFlows(testPolicy(config.PinholeOff), pl)
	if count(off, PriorityStanding, false)+count(off, PriorityStanding, true) != 0 {
		t.Error("pinhole off must not install RTP range flows")
	}
	if count(off, PrioritySignalling, false) != 4 { // udp+tcp, to and from port 5060, on VLAN 100
		t.Errorf("want 4 SIP marking flows, got %d", count(off, PrioritySignalling, false))
	}
	mark := StandingFlows(testPolicy(config.PinholeMark), pl)
	if count(mark, PriorityStanding, false) == 0 || count(mark, PriorityStanding, true) != 0 {
		t.Error("mark mode must mark, not drop, the RTP range")
	}
	strict := StandingFlows(testPolicy(config.PinholeStrict), pl)
	if count(strict, PriorityStanding, true) == 0 || count(strict, PriorityStanding, false) != 0 {
		t.Error("strict mode must drop, not mark, the RTP range")
	}
	for _, f := range mark {
		if f.Priority == PriorityStanding {
			if f.Instr.Apply[0] != of13.SetDSCP(46) || f.Instr.Apply[1] != of13.SetQueue(5) || f.Instr.GotoTable != 4 {
				t.Fatalf("RTP marking flow does not set EF, queue 5 and continue: %s", f.String())
			}
		}
	}
}

type fakeLocator map[netip.Addr]Location

func (f fakeLocator) Locate(ip netip.Addr) (Location, bool) { l, ok := f[ip]; return l, ok }

func TestPlanLegBothDirections(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	phone, pbx := netip.MustParseAddr("10.254.0.201"), netip.MustParseAddr("10.254.0.1")
	loc := fakeLocator{phone: {DP: "sw1", DPID: 1, Port: 3, VID: 100}, pbx: {DP: "sw1", DPID: 1, Port: 5, VID: 100}}
	place := func(dpid uint64) (Placement, bool) {
		return Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}}, dpid == 1
	}
	leg := Leg{Server: "pbx1", Call: "1.36", ID: "1.37", Codec: "ulaw",
		Local: netip.AddrPortFrom(pbx, 10018), Remote: netip.AddrPortFrom(phone, 20316)}
	plan, reason := PlanLeg(q, leg, loc, place)
	if reason != "" || len(plan.Streams) != 2 {
		t.Fatalf("want two placed streams, got %d (reason %q)", len(plan.Streams), reason)
	}
	up := plan.Streams[0]
	if up.Src != leg.Remote || !up.Sender || up.Location.Port != 3 {
		t.Fatalf("phone->PBX stream placed wrongly: %+v", up)
	}
	if up.MeterKbps != 96 { // 87.2 * 1.1 = 95.92, rounded up
		t.Errorf("meter rate %d kbps, want 96", up.MeterKbps)
	}
	flows, meter := up.WithMeter(7)
	if len(flows) != 2 || meter.ID != 7 || meter.Bands[0].Rate != 96 {
		t.Fatalf("want RTP+RTCP flows and meter 7, got %d flows, %+v", len(flows), meter)
	}
	want := "table=3,priority=9000,cookie=" + hex(plan.Cookie) + ",idle_timeout=60,send_flow_rem," +
		"in_port=3,dl_type=0x800,nw_proto=17,nw_src=10.254.0.201,nw_dst=10.254.0.1,udp_src=20316,udp_dst=10018," +
		"actions=meter:7,set_field:46->ip_dscp,set_queue:5,goto_table:4"
	if got := flows[0].String(); got != want {
		t.Fatalf("RTP flow\n got %s\nwant %s", got, want)
	}
	if p, _ := flows[1].Match.Get(of13.FieldUDPDst); p.Uint() != 10019 {
		t.Errorf("RTCP flow should use port+1, got %d", p.Uint())
	}
}

func TestPlanLegFallbacks(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	phone, pbx := netip.MustParseAddr("10.254.0.201"), netip.MustParseAddr("10.254.0.1")
	leg := Leg{Server: "pbx1", Call: "c", Local: netip.AddrPortFrom(pbx, 10018), Remote: netip.AddrPortFrom(phone, 20316)}
	place := func(uint64) (Placement, bool) {
		return Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}}, true
	}

	if p, r := PlanLeg(q, leg, fakeLocator{}, place); r != ReasonLocationUnknown || len(p.Streams) != 0 {
		t.Errorf("unknown endpoints: got %q with %d streams", r, len(p.Streams))
	}
	// Only the phone is known: both directions are still placed, at the
	// phone's switch (as sender one way, as receiver the other).
	only := fakeLocator{phone: {DP: "sw1", DPID: 1, Port: 3, VID: 100}}
	if p, r := PlanLeg(q, leg, only, place); r != "" || len(p.Streams) != 2 || p.Streams[1].Sender {
		t.Errorf("phone known: got %q, %d streams", r, len(p.Streams))
	}
	// The PBX on a controlled VLAN's subnet is behind a controlled port:
	// its stream waits for it rather than going to the phone's switch
	// without in_port.
	home := homedLocator{only, netip.MustParsePrefix("10.254.0.0/24")}
	if p, r := PlanLeg(q, leg, home, place); r != ReasonLocationUnknown || len(p.Streams) != 1 || !p.Streams[0].Sender {
		t.Errorf("homed PBX unknown: got %q, %d streams; want the phone's stream only", r, len(p.Streams))
	}
	if !SenderHomed(leg, home) || SenderHomed(leg, only) {
		t.Error("SenderHomed disagrees with the locator")
	}
	q.ApplyTo = &config.ApplyTo{VLANs: []uint16{200}}
	if _, r := PlanLeg(q, leg, only, place); r != ReasonOutOfScope {
		t.Errorf("out of scope: got %q", r)
	}
	bad := leg
	bad.Remote = netip.AddrPort{}
	if _, r := PlanLeg(q, bad, only, place); r != ReasonNoMedia {
		t.Errorf("no media: got %q", r)
	}
}

// homedLocator is a Locator that knows a controlled subnet (Homes).
type homedLocator struct {
	fakeLocator
	subnet netip.Prefix
}

func (h homedLocator) Homed(ip netip.Addr) bool { return h.subnet.Contains(ip) }

func hex(v uint64) string {
	return "0x" + of13.UintField(of13.FieldMetadata, v).String()[len("metadata=0x"):]
}
