package qos

import (
	"net/netip"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// StandingFlows returns the voice table's configuration-derived flows for
// one datapath: SIP marking, and the RTP range policy of the pinhole mode,
// for every VLAN (and port) the policy applies to.
//
//   - off:    no RTP range flows; only per-call flows mark.
//   - mark:   UDP to or from the PBX's RTP ports is marked with the voice
//     DSCP, so media is marked from its first packet.
//   - strict: UDP to or from the PBX's RTP ports is dropped; only the
//     per-call pinholes of active calls let media through (and mark it).
//
// Without pbx_addresses the range flows match the ports alone, on any
// address.
func StandingFlows(q *config.QoS, pl Placement) []of13.Flow {
	var flows []of13.Flow
	pbx := q.PBXAddresses
	if len(pbx) == 0 {
		pbx = []netip.Addr{{}}
	}
	lo, hi := q.RTPPortRange[0], q.RTPPortRange[1]
	for _, sc := range pl.scopes(q) {
		mark := markInstr(q, q.SignallingDSCP, sc.next, false)
		rtp := markInstr(q, q.VoiceDSCP, sc.next, true)
		if q.Pinhole == config.PinholeStrict {
			rtp = of13.Instructions{}
		}
		for _, base := range sc.matches() {
			for _, addr := range pbx {
				for _, fam := range families(addr) {
					// dir true: the PBX's port is the destination (towards
					// the PBX); false: the source (from it).
					for _, dir := range []bool{true, false} {
						at := func(m of13.Match) of13.Match {
							m = base.With(of13.EthType(fam)).With(m[0]).With(m[1])
							if addr.IsValid() {
								m = m.With(of13.AddrField(addrField(fam, dir), addr))
							}
							return m
						}
						for _, proto := range []uint8{protoUDP, protoTCP} {
							for _, port := range q.SIPPorts {
								m := at(of13.Match{of13.IPProto(proto), of13.PortField(portField(proto, dir), port)})
								flows = append(flows, of13.Flow{Table: pl.Table, Priority: PrioritySignalling, Cookie: pl.Cookie, Match: m, Instr: mark})
							}
						}
						if q.Pinhole == config.PinholeOff {
							continue
						}
						for _, pf := range portRangeFields(portField(protoUDP, dir), lo, hi) {
							m := at(of13.Match{of13.IPProto(protoUDP), pf})
							flows = append(flows, of13.Flow{Table: pl.Table, Priority: PriorityStanding, Cookie: pl.Cookie, Match: m, Instr: rtp})
						}
					}
				}
			}
		}
	}
	return flows
}

const (
	protoTCP uint8 = 6
	protoUDP uint8 = 17

	ethIPv4 uint16 = 0x0800
	ethIPv6 uint16 = 0x86dd
)

// families lists the address families a flow for addr must cover: the
// address's own, or both when addr is unset (port-only matches).
func families(addr netip.Addr) []uint16 {
	switch {
	case !addr.IsValid():
		return []uint16{ethIPv4, ethIPv6}
	case addr.Is4() || addr.Is4In6():
		return []uint16{ethIPv4}
	}
	return []uint16{ethIPv6}
}

// portField returns the transport port field; dst selects the destination.
func portField(proto uint8, dst bool) of13.Field {
	switch {
	case proto == protoTCP && dst:
		return of13.FieldTCPDst
	case proto == protoTCP:
		return of13.FieldTCPSrc
	case dst:
		return of13.FieldUDPDst
	}
	return of13.FieldUDPSrc
}

// addrField returns the IP address field; dst selects the destination.
func addrField(fam uint16, dst bool) of13.Field {
	switch {
	case fam == ethIPv4 && dst:
		return of13.FieldIPv4Dst
	case fam == ethIPv4:
		return of13.FieldIPv4Src
	case dst:
		return of13.FieldIPv6Dst
	}
	return of13.FieldIPv6Src
}

// markInstr sets the DSCP (and the queue, for voice) and continues.
func markInstr(q *config.QoS, dscp uint8, next uint8, voice bool) of13.Instructions {
	in := of13.Goto(next)
	in.Apply = []of13.Action{of13.SetDSCP(dscp)}
	if voice && q.Queue != nil {
		in.Apply = append(in.Apply, of13.SetQueue(*q.Queue))
	}
	return in
}

// Priorities of the trust and re-mark flows: trust sits above the standing
// policy (traffic from a trusted port was policed at its ingress edge, and
// a strict pinhole policy must not drop it in transit) and below per-call
// flows; re-marking sits below every marking flow, so it only touches EF
// that nothing else matched.
const (
	PriorityTrust  uint16 = 8500
	PriorityRemark uint16 = 7000
)

// TrustFlows returns the voice table's trust and re-mark flows for DP d
// (voip.qos.trust, remark_untrusted):
//
//   - from a trusted port (a stack port, or a trunk: tagged VLANs only),
//     DSCP EF goes into the voice queue (when qos.queue is set) and all
//     its traffic skips the standing policy;
//   - elsewhere, IP traffic arriving with DSCP EF that no per-call or
//     standing flow marked is re-marked to best effort (DSCP 0), so a host
//     cannot claim the voice class for traffic that is not a call.
//
// ethSrc is the table stack traffic continues to (the pipeline sends a
// stack port's frames through the voip table on their way to eth_src).
func TrustFlows(q *config.QoS, d *config.DP, pl Placement, ethSrc uint8) []of13.Flow {
	var flows []of13.Flow
	add := func(prio uint16, m of13.Match, in of13.Instructions) {
		flows = append(flows, of13.Flow{Table: pl.Table, Priority: prio, Cookie: pl.Cookie, Match: m, Instr: in})
	}
	queue := func(next uint8) of13.Instructions {
		in := of13.Goto(next)
		if q.Queue != nil {
			in.Apply = []of13.Action{of13.SetQueue(*q.Queue)}
		}
		return in
	}
	for _, p := range d.Ports {
		if !p.Enabled || !q.Trusts(p) {
			continue
		}
		if p.Stack != nil {
			// Above the re-mark: stack traffic keeps its EF.
			add(PriorityTrust, of13.NewMatch(of13.InPort(p.Number)), of13.Goto(ethSrc))
			if q.Queue != nil {
				for _, fam := range []uint16{ethIPv4, ethIPv6} {
					add(PriorityTrust+1, of13.NewMatch(of13.InPort(p.Number), of13.EthType(fam), of13.IPDSCP(q.VoiceDSCP)), queue(ethSrc))
				}
			}
			continue
		}
		for _, v := range p.TaggedVLANs {
			next, ok := pl.Next[v.VID]
			if !ok {
				continue
			}
			base := of13.NewMatch(of13.InPort(p.Number), of13.VlanVID(v.VID))
			add(PriorityTrust, base, of13.Goto(next))
			if q.Queue != nil {
				for _, fam := range []uint16{ethIPv4, ethIPv6} {
					add(PriorityTrust+1, base.With(of13.EthType(fam)).With(of13.IPDSCP(q.VoiceDSCP)), queue(next))
				}
			}
		}
	}
	if !q.RemarkUntrusted {
		return flows
	}
	for _, sc := range pl.scopes(q) {
		in := of13.Goto(sc.next)
		in.Apply = []of13.Action{of13.SetDSCP(0)}
		for _, base := range sc.matches() {
			for _, fam := range []uint16{ethIPv4, ethIPv6} {
				add(PriorityRemark, base.With(of13.EthType(fam)).With(of13.IPDSCP(q.VoiceDSCP)), in)
			}
		}
	}
	return flows
}
