package qos

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// TestBestEffortPolicingOnTheTableModel: with a call's flows and the
// best-effort flows of the uplink (port 5) in the voice table, other
// traffic entering from an access port passes the best-effort meter,
// the call's RTP passes its own meter only, and traffic from beyond the
// link passes none.
func TestBestEffortPolicingOnTheTableModel(t *testing.T) {
	q := testPolicy(config.PinholeOff)
	tbl, pl := voiceTable(t, q)
	link := &config.AdmissionLink{Name: "wan", DP: "sw1", Port: 5, CapacityKbps: 10000, VoiceSharePercent: 50}
	be := BestEffortMeterID(0)
	if err := tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: BestEffortMeter(be, 10000)}); err != nil {
		t.Fatal(err)
	}
	if err := tbl.AddFlows(BestEffortFlows(link, 0, pl)...); err != nil {
		t.Fatalf("best-effort flows rejected: %v", err)
	}
	phone, rtp := netip.AddrPortFrom(phoneA, 20316), netip.AddrPortFrom(pbxIP, 10018)
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
			t.Fatal(err)
		}
	}
	bulk := udp(1, netip.AddrPortFrom(phoneA, 40000), netip.AddrPortFrom(pbxIP, 5201))
	if r := tbl.Trace(bulk); !slices.Equal(r.Meters, []uint32{be}) || r.Dropped {
		t.Errorf("best effort towards the link: meters %v, trace %v", r.Meters, r)
	}
	tcp6 := udp(1, netip.MustParseAddrPort("[2001:db8::1]:40000"), netip.MustParseAddrPort("[2001:db8::2]:80"))
	tcp6.EthType, tcp6.IPProto = 0x86dd, 6
	if r := tbl.Trace(tcp6); !slices.Equal(r.Meters, []uint32{be}) {
		t.Errorf("IPv6 TCP towards the link: meters %v", r.Meters)
	}
	if r := tbl.Trace(udp(1, phone, rtp)); len(r.Meters) != 1 || r.Meters[0] == be {
		t.Errorf("the call's EF RTP: meters %v, want its own only", r.Meters)
	}
	if d, _ := dscpOut(t, tbl, udp(1, phone, rtp)); d != 46 {
		t.Errorf("the call's RTP not marked: %d", d)
	}
	if r := tbl.Trace(udp(5, netip.AddrPortFrom(pbxIP, 5201), netip.AddrPortFrom(phoneA, 40000))); len(r.Meters) != 0 || r.Dropped {
		t.Errorf("traffic from beyond the link: meters %v", r.Meters)
	}
	// A resize is a meter-mod MODIFY of the same id, which the switch
	// takes while the flows stay.
	if err := tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModModify, Meter: BestEffortMeter(be, 9000)}); err != nil {
		t.Fatal(err)
	}
	if r := tbl.Trace(bulk); !slices.Equal(r.Meters, []uint32{be}) {
		t.Errorf("after the resize: meters %v", r.Meters)
	}
}
