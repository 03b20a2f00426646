package pipeline

import (
	"bytes"
	"net/netip"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// Verdict says how the runtime should treat a packet-in.
type Verdict int

// Verdicts.
const (
	// VerdictDrop: ignore the packet (Reason says why).
	VerdictDrop Verdict = iota
	// VerdictLearn: a packet from the learning flow; pass the source to
	// Learned.Learn (rate-limited as learning).
	VerdictLearn
	// VerdictControl: a control-plane packet (Control says which); hand it
	// to its protocol handler, rate-limited apart from learning. Learnable
	// says whether the source should also be offered to Learn.
	VerdictControl
)

var verdictNames = [...]string{"drop", "learn", "control"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "verdict?"
}

// Control-plane protocols Classify recognises.
const (
	ControlLACP = "lacp"
	ControlLLDP = "lldp"
	ControlARP  = "arp"
	ControlND   = "nd"
	ControlICMP = "icmp"
)

// Classification is Classify's answer.
type Classification struct {
	Verdict Verdict
	// Control names the protocol of a VerdictControl packet.
	Control string
	// Learnable is set when the source may be learned (VerdictLearn, and
	// control packets that arrived through a VLAN).
	Learnable bool
	// VID is the packet's VLAN: its tag, or the port's native VLAN.
	VID    uint16
	Reason string
}

// Classify sorts a parsed packet-in received on inPort into drop, learn
// and control-plane (LACP, LLDP, and ARP/ND/ICMP addressed to a Faucet VIP
// or MAC), so the runtime can rate-limit learning separately from
// control-plane traffic. It is pure.
func Classify(dp *config.DP, inPort uint32, pkt *Packet) Classification {
	i := slices.IndexFunc(dp.Ports, func(p *config.Port) bool { return p.Number == inPort })
	if i < 0 {
		return Classification{Reason: "unknown port"}
	}
	p := dp.Ports[i]
	switch {
	case !p.Enabled:
		return Classification{Reason: "port disabled"}
	case p.OutputOnly:
		return Classification{Reason: "output-only port"}
	case pkt.EthType == EthTypeSlow && bytes.Equal(pkt.EthDst, macSlowProtocols) && p.LACP != 0:
		return Classification{Verdict: VerdictControl, Control: ControlLACP}
	case pkt.EthType == EthTypeLLDP:
		return Classification{Verdict: VerdictControl, Control: ControlLLDP}
	case IsMulticastMAC(pkt.EthSrc) || len(pkt.EthSrc) != 6:
		return Classification{Reason: "multicast or broadcast source"}
	case pkt.EthType == EthTypeECTP:
		return Classification{Reason: "ECTP loopback"}
	}
	var v *config.VLAN
	if pkt.Tagged && p.Stack != nil {
		// A stack port carries every VLAN of the DP.
		v = dp.VLAN(pkt.VLAN)
		if v == nil {
			return Classification{VID: pkt.VLAN, Reason: "vlan not configured on dp"}
		}
	} else if pkt.Tagged {
		for _, pv := range p.VLANs() {
			if pv.VID == pkt.VLAN {
				v = pv
			}
		}
		if v == nil {
			return Classification{VID: pkt.VLAN, Reason: "vlan not configured on port"}
		}
	} else {
		if p.NativeVLAN == nil {
			return Classification{Reason: "untagged packet on port without native_vlan"}
		}
		v = p.NativeVLAN
	}
	c := Classification{VID: v.VID, Learnable: true}
	if bytes.Equal(pkt.EthSrc, v.FaucetMAC) || bytes.Equal(pkt.EthSrc, dp.FaucetDPMAC) {
		return Classification{VID: v.VID, Reason: "source spoofs the Faucet MAC"}
	}
	toFaucet := bytes.Equal(pkt.EthDst, v.FaucetMAC)
	switch {
	case pkt.EthType == EthTypeARP && (isVIP(v, pkt.ARPTPA) || toFaucet):
		c.Verdict, c.Control = VerdictControl, ControlARP
	case pkt.EthType == EthTypeIPv6 && pkt.IPProto == IPProtoICMPv6 &&
		pkt.ICMPType >= ICMPv6RouterSolicit && pkt.ICMPType <= ICMPv6NeighborAdvert &&
		(isVIP(v, pkt.NDTarget) || isVIP(v, pkt.IPDst) || toFaucet || pkt.ICMPType == ICMPv6RouterSolicit && len(v.FaucetVIPs) > 0):
		c.Verdict, c.Control = VerdictControl, ControlND
	case (pkt.IPProto == IPProtoICMP || pkt.IPProto == IPProtoICMPv6) && isVIP(v, pkt.IPDst):
		c.Verdict, c.Control = VerdictControl, ControlICMP
	default:
		c.Verdict = VerdictLearn
	}
	return c
}

func isVIP(v *config.VLAN, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, vip := range v.FaucetVIPs {
		if vip.Addr() == a {
			return true
		}
	}
	return false
}
