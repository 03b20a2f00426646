package qos

import (
	"net/netip"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// TestBestEffortLegOnTheTableModel: a call admission control refused
// (Leg.BestEffort) gets per-call flows above the standing ones that set
// DSCP 0 without a queue, for RTP and RTCP both ways, under its call's
// cookie. With pinhole: mark its media is therefore not marked EF by the
// RTP-range flows (nor keeps a phone's own EF), with strict it still
// passes; an admitted call beside it keeps EF.
func TestBestEffortLegOnTheTableModel(t *testing.T) {
	for _, mode := range []string{config.PinholeMark, config.PinholeStrict} {
		t.Run(mode, func(t *testing.T) {
			q := testPolicy(mode)
			tbl, pl := voiceTable(t, q)
			place := func(uint64) (Placement, bool) { return pl, true }
			refusedPhone, refusedPBX := netip.AddrPortFrom(phoneA, 20316), netip.AddrPortFrom(pbxIP, 10018)
			okPhone, okPBX := netip.AddrPortFrom(phoneB, 20400), netip.AddrPortFrom(pbxIP, 10020)
			for i, leg := range []Leg{
				{Server: "pbx1", Call: "refused", ID: "l1", Codec: "ulaw", Remote: refusedPhone, Local: refusedPBX, BestEffort: true},
				{Server: "pbx1", Call: "admitted", ID: "l2", Codec: "ulaw", Remote: okPhone, Local: okPBX},
			} {
				plan, reason := PlanLeg(q, leg, labLocator(), place)
				if reason != "" || len(plan.Streams) != 2 {
					t.Fatalf("leg %s: %d streams (%q)", leg.ID, len(plan.Streams), reason)
				}
				for j, sp := range plan.Streams {
					flows, meter := sp.WithMeter(MeterIDBase + uint32(2*i+j))
					if len(flows) != 2 {
						t.Fatalf("leg %s: %d flows per stream, want RTP and RTCP", leg.ID, len(flows))
					}
					for _, f := range flows {
						if f.Priority <= PriorityStanding || f.Cookie != plan.Cookie || CallKey(f.Cookie) != CallCookie("pbx1", leg.Call) {
							t.Errorf("leg %s flow %s: want above the standing flows, under the call's cookie", leg.ID, f.String())
						}
						if leg.BestEffort {
							if r := RuleOf(&f); r.DSCP != 0 {
								t.Errorf("refused call's flow sets DSCP %d: %s", r.DSCP, f.String())
							}
							if _, q := RuleOf(&f).Queue(); q {
								t.Errorf("refused call's flow sets a queue: %s", f.String())
							}
						}
					}
					if err := tbl.ApplyMeterMod(of13.MeterMod{Command: of13.ModAdd, Meter: meter}); err != nil {
						t.Fatal(err)
					}
					if err := tbl.AddFlows(flows...); err != nil {
						t.Fatalf("per-call flows rejected: %v", err)
					}
				}
			}
			rtcp := func(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr(), a.Port()+1) }
			for _, c := range []struct {
				name     string
				in       uint32
				src, dst netip.AddrPort
				want     uint8
			}{
				{"refused call, phone->PBX RTP", 1, refusedPhone, refusedPBX, 0},
				{"refused call, PBX->phone RTP", 5, refusedPBX, refusedPhone, 0},
				{"refused call, phone->PBX RTCP", 1, rtcp(refusedPhone), rtcp(refusedPBX), 0},
				{"refused call, PBX->phone RTCP", 5, rtcp(refusedPBX), rtcp(refusedPhone), 0},
				{"admitted call, phone->PBX RTP", 2, okPhone, okPBX, 46},
				{"admitted call, PBX->phone RTCP", 5, rtcp(okPBX), rtcp(okPhone), 46},
			} {
				p := udp(c.in, c.src, c.dst)
				p.DSCP = 46 // as a phone marks its own media
				if d, ok := dscpOut(t, tbl, p); !ok || d != c.want {
					t.Errorf("%s: forwarded=%v dscp=%d, want %d", c.name, ok, d, c.want)
				}
			}
		})
	}
}
