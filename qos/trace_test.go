package qos

import (
	"net/netip"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// voiceTable builds a small switch: table 0 goes to the voice table (3) holding the
// standing flows, continuing per VLAN to a table (4) that outputs
// everything to port 9, standing in for the rest of Faucet's pipeline.
func voiceTable(t *testing.T, q *config.QoS) (*oftable.Table, Placement) {
	t.Helper()
	pl := Placement{DP: "sw1", Table: 3, Next: map[uint16]uint8{100: 4}, Cookie: 0x5adc15c0}
	tbl := oftable.New(oftable.Config{NumTables: 8, Ports: []uint32{1, 2, 5, 9}})
	flows := append(StandingFlows(q, pl),
		of13.Flow{Table: 0, Priority: 1, Instr: of13.Goto(3)},
		of13.Flow{Table: 3, Priority: 0x1000, Match: of13.NewMatch(of13.VlanVID(100)), Instr: of13.Goto(4)},
		of13.Flow{Table: 4, Priority: 1, Instr: of13.ApplyActions(of13.Output(9))})
	if err := tbl.AddFlows(flows...); err != nil {
		t.Fatalf("standing flows rejected: %v", err)
	}
	return tbl, pl
}

func udp(inPort uint32, src, dst netip.AddrPort) oftable.Packet {
	return oftable.Packet{
		InPort: inPort, EthSrc: oftable.MAC("0e:00:00:00:00:01"), EthDst: oftable.MAC("0e:00:00:00:00:02"),
		VLANs: []oftable.VLAN{{VID: 100}}, EthType: 0x0800, IPSrc: src.Addr(), IPDst: dst.Addr(),
		IPProto: 17, TTL: 64, L4Src: src.Port(), L4Dst: dst.Port(),
	}
}

func dscpOut(t *testing.T, tbl *oftable.Table, p oftable.Packet) (uint8, bool) {
	t.Helper()
	r := tbl.Trace(p)
	if r.Dropped || len(r.Outputs) == 0 {
		return 0, false
	}
	return r.Outputs[0].Packet.DSCP, true
}

func TestMarkModeOnTheTableModel(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	tbl, _ := voiceTable(t, q)
	phone := netip.AddrPortFrom(phoneA, 20316)
	rtp := netip.AddrPortFrom(pbxIP, 10018)
	if d, ok := dscpOut(t, tbl, udp(1, phone, rtp)); !ok || d != 46 {
		t.Errorf("phone->PBX RTP: forwarded=%v dscp=%d, want EF", ok, d)
	}
	if d, ok := dscpOut(t, tbl, udp(5, rtp, phone)); !ok || d != 46 {
		t.Errorf("PBX->phone RTP: forwarded=%v dscp=%d, want EF", ok, d)
	}
	other := netip.AddrPortFrom(pbxIP, 8080)
	if d, ok := dscpOut(t, tbl, udp(1, phone, other)); !ok || d != 0 {
		t.Errorf("non-RTP UDP to the PBX: forwarded=%v dscp=%d, want untouched", ok, d)
	}
	// SIP towards and from the PBX, from a phone's ephemeral port.
	sip := netip.AddrPortFrom(pbxIP, 5060)
	if d, ok := dscpOut(t, tbl, udp(1, netip.AddrPortFrom(phoneA, 35012), sip)); !ok || d != 24 {
		t.Errorf("SIP to the PBX: forwarded=%v dscp=%d, want CS3", ok, d)
	}
	if d, ok := dscpOut(t, tbl, udp(5, sip, netip.AddrPortFrom(phoneA, 35012))); !ok || d != 24 {
		t.Errorf("SIP from the PBX: forwarded=%v dscp=%d, want CS3", ok, d)
	}
	// RTP-range ports on a host that is not the PBX are not voice.
	if d, _ := dscpOut(t, tbl, udp(1, phone, netip.AddrPortFrom(phoneB, 10018))); d != 0 {
		t.Errorf("phone-to-phone UDP to port 10018 marked %d; only the PBX's range is voice", d)
	}
}

func TestStrictModePinholes(t *testing.T) {
	q := testPolicy(config.PinholeStrict)
	tbl, pl := voiceTable(t, q)
	phone := netip.AddrPortFrom(phoneA, 20316)
	intruder := netip.AddrPortFrom(netip.MustParseAddr("10.254.0.99"), 40000)
	rtp := netip.AddrPortFrom(pbxIP, 10018)
	if _, ok := dscpOut(t, tbl, udp(1, phone, rtp)); ok {
		t.Fatal("strict mode forwarded RTP-range UDP with no call up")
	}
	plan, reason := PlanLeg(q, Leg{Server: "pbx1", Call: "c", ID: "l", Codec: "ulaw", Local: rtp, Remote: phone},
		labLocator(), func(uint64) (Placement, bool) { return pl, true })
	if reason != "" {
		t.Fatal(reason)
	}
	for i, sp := range plan.Streams {
		flows, meter := sp.WithMeter(MeterIDBase + uint32(i))
		if err := tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: meter}); err != nil {
			t.Fatal(err)
		}
		if err := tbl.AddFlows(flows...); err != nil {
			t.Fatalf("per-call flows rejected: %v", err)
		}
	}
	if d, ok := dscpOut(t, tbl, udp(1, phone, rtp)); !ok || d != 46 {
		t.Errorf("the call's RTP through the pinhole: forwarded=%v dscp=%d", ok, d)
	}
	if d, ok := dscpOut(t, tbl, udp(5, rtp, phone)); !ok || d != 46 {
		t.Errorf("the call's RTP back through the pinhole: forwarded=%v dscp=%d", ok, d)
	}
	if _, ok := dscpOut(t, tbl, udp(1, intruder, rtp)); ok {
		t.Error("a host that is not in the call got through the pinhole")
	}
	// The pinhole pins the ingress port: the phone's address on another
	// port is not the phone.
	if _, ok := dscpOut(t, tbl, udp(2, phone, rtp)); ok {
		t.Error("a spoofed source on another port got through the pinhole")
	}
	if r := tbl.Trace(udp(1, phone, rtp)); len(r.Meters) != 1 {
		t.Errorf("the call's RTP should pass its meter, trace: %v", r)
	}
}

func TestStandingFlowsHonourApplyToPorts(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	q.ApplyTo = &config.ApplyTo{Ports: map[string][]uint32{"sw1": {1}}}
	tbl, _ := voiceTable(t, q)
	rtp := netip.AddrPortFrom(pbxIP, 10018)
	if d, _ := dscpOut(t, tbl, udp(1, netip.AddrPortFrom(phoneA, 20316), rtp)); d != 46 {
		t.Errorf("port 1 is in scope: dscp=%d", d)
	}
	if d, _ := dscpOut(t, tbl, udp(2, netip.AddrPortFrom(phoneB, 20316), rtp)); d != 0 {
		t.Errorf("port 2 is out of scope: dscp=%d", d)
	}
}

// TestDirectMediaOnTheTableModel: a direct-media call's two legs report the
// same pair of phones, mirrored. Each leg owns the stream its own phone
// sends, so together they mark both directions, with one meter each and no
// flow planned twice; other UDP between the same phones stays unmarked.
func TestDirectMediaOnTheTableModel(t *testing.T) {
	q := testPolicy(config.PinholeMark)
	tbl, pl := voiceTable(t, q)
	a, b := netip.AddrPortFrom(phoneA, 30000), netip.AddrPortFrom(phoneB, 30002)
	place := func(uint64) (Placement, bool) { return pl, true }
	seen := map[of13.FlowKey]bool{}
	for i, leg := range []Leg{
		{Server: "pbx1", Call: "c", ID: "l1", Codec: "ulaw", Remote: a, Local: b, Direct: true},
		{Server: "pbx1", Call: "c", ID: "l2", Codec: "ulaw", Remote: b, Local: a, Direct: true},
	} {
		plan, reason := PlanLeg(q, leg, labLocator(), place)
		if reason != "" || len(plan.Streams) != 1 || plan.Streams[0].Src != leg.Remote {
			t.Fatalf("leg %s: want only its phone's stream, got %+v (%q)", leg.ID, plan.Streams, reason)
		}
		flows, meter := plan.Streams[0].WithMeter(MeterIDBase + uint32(i))
		for _, f := range flows {
			if seen[f.Key()] {
				t.Fatalf("leg %s plans a flow the other leg has: %s", leg.ID, f.String())
			}
			seen[f.Key()] = true
		}
		if err := tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: meter}); err != nil {
			t.Fatal(err)
		}
		if err := tbl.AddFlows(flows...); err != nil {
			t.Fatalf("per-call flows rejected: %v", err)
		}
	}
	if d, ok := dscpOut(t, tbl, udp(1, a, b)); !ok || d != 46 {
		t.Errorf("phone A -> phone B RTP: forwarded=%v dscp=%d, want EF", ok, d)
	}
	if d, ok := dscpOut(t, tbl, udp(2, b, a)); !ok || d != 46 {
		t.Errorf("phone B -> phone A RTP: forwarded=%v dscp=%d, want EF", ok, d)
	}
	if d, ok := dscpOut(t, tbl, udp(1, netip.AddrPortFrom(phoneA, 30100), b)); !ok || d != 0 {
		t.Errorf("other UDP between the phones: forwarded=%v dscp=%d, want untouched", ok, d)
	}
}
