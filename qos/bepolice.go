package qos

import (
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Best-effort protection (admission links with police_best_effort): on
// the link's switch, traffic entering the voice table from any port but
// the link's own passes a meter sized to the link's capacity less the
// voice admitted up it. The voice table sits before forwarding, so the
// flows cannot see the output port: they police everything that enters
// the switch elsewhere than the uplink, which on an access switch is the
// traffic towards the link (local switch-to-switch traffic is policed
// too). Voice is not policed by it: per-call, RTP-range and SIP flows
// have higher priorities and match first, so a packet they take never
// reaches the best-effort flows. The flows match IPv4, and IPv6 UDP and
// TCP, so that ARP and neighbour discovery keep their controller copies
// (the compiler's address flows sit just above its continue flows).

// Priorities of the best-effort flows, below every voice flow.
const (
	PriorityBestEffortExempt uint16 = 7001
	PriorityBestEffort       uint16 = 7000
)

// Best-effort meters take ids above the per-call range, one per link in
// the order of voip.qos.admission.links.
const BestEffortMeterBase = MeterIDBase + MeterIDCount

// CookieBestEffort marks best-effort policing flows ("VB"); the low bits
// hold the link's index. They are not per-call flows, so sweeps never
// touch them.
const CookieBestEffort uint64 = 0x5642 << 48

// BestEffortMeterID returns the meter id of link i of q's admission
// links.
func BestEffortMeterID(i int) uint32 { return BestEffortMeterBase + uint32(i) }

// BestEffortMeter is the best-effort meter of a link at rate kbit/s, with
// a burst of a tenth of a second of it.
func BestEffortMeter(id, kbps uint32) of13.Meter {
	return of13.Meter{ID: id, Flags: of13.MeterKbps | of13.MeterBurst | of13.MeterStats,
		Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: kbps, BurstSize: max(kbps/10, 64)}}}
}

// BestEffortFlows returns the flows that police traffic towards link l
// (index i in q's links) with its meter, on every VLAN of the placement,
// which must be of l's switch.
func BestEffortFlows(l *config.AdmissionLink, i int, pl Placement) []of13.Flow {
	var out []of13.Flow
	for _, sc := range pl.scopes(&config.QoS{}) {
		base := of13.NewMatch(of13.VlanVID(sc.vid))
		kinds := []of13.Match{
			base.With(of13.EthType(ethIPv4)),
			base.With(of13.EthType(ethIPv6)).With(of13.IPProto(protoUDP)),
			base.With(of13.EthType(ethIPv6)).With(of13.IPProto(protoTCP)),
		}
		for _, m := range kinds {
			out = append(out, of13.Flow{Table: pl.Table, Priority: PriorityBestEffortExempt, Cookie: CookieBestEffort | uint64(i),
				Match: m.With(of13.InPort(l.Port)), Instr: of13.Goto(sc.next)})
			in := of13.Goto(sc.next)
			in.Meter = BestEffortMeterID(i)
			out = append(out, of13.Flow{Table: pl.Table, Priority: PriorityBestEffort, Cookie: CookieBestEffort | uint64(i), Match: m, Instr: in})
		}
	}
	return out
}
