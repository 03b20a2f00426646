package qos

import (
	"math"
	"net/netip"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Location is where a host is learned.
type Location struct {
	DP   string
	DPID uint64
	Port uint32
	VID  uint16
}

// Locator finds where an IP address is learned. The controller implements
// it from the hosts it has learned on each datapath.
type Locator interface {
	Locate(ip netip.Addr) (Location, bool)
}

// Leg is one call leg's media as the call tracker reports it: Remote is
// the leg's phone (CHANNEL(rtp,dest)) and Local the PBX's end
// (CHANNEL(rtp,src)), or, with Direct, the peer phone the media now runs
// to (CHANNEL(rtp,direct)).
type Leg struct {
	// Server is the Asterisk server's name, Call the Linkedid and ID the
	// leg's Uniqueid.
	Server, Call, ID string
	Local, Remote    netip.AddrPort
	Codec            string
	// Direct: the media runs phone to phone. Each leg then reports the
	// same pair of phones, mirrored, so a direct leg owns only the stream
	// its own phone sends (Remote to Local); the peer's leg owns the
	// other direction. Two legs installing both would fight over the same
	// flows, each with its own meter.
	Direct bool
	// MayGoDirect: the server may move the call's media phone to phone
	// (pjsip direct_media), so once both legs are known the engine
	// prepares the phone-to-phone streams.
	MayGoDirect bool
	// Class names the call's entry of voip.qos.classes, chosen by the
	// dialplan; its DSCP, meter, headroom and queue replace the policy's.
	// "" (or a name the policy no longer has) means the policy's own.
	Class string
	// BestEffort: the call proceeds best effort (admission control
	// refused it, ReasonOverBudget), yet its streams still get per-call
	// flows, which set DSCP 0 with no queue. They sit above the standing
	// RTP-range flows, so with pinhole: mark the call is not marked EF
	// after all, with strict its pinhole still opens (best effort is not
	// dropped), and in either mode a phone's own EF is cleared. Class is
	// then ignored; the meter is the policy's, at the codec's rate.
	BestEffort bool
}

// StreamPlan is the flows for one direction of one leg, on the datapath
// where it is marked.
type StreamPlan struct {
	Location Location
	// Sender says whether Location is the sender's (the flow also matches
	// the ingress port) or, failing that, the receiver's.
	Sender   bool
	Src, Dst netip.AddrPort
	// Flows are the RTP and RTCP flows, without a meter yet.
	Flows []of13.Flow
	// MeterKbps is the rate of the stream's meter.
	MeterKbps uint32
	// spec is what Flows are built from.
	spec *Stream
}

// Stream is everything a stream's flows are built from: the 5-tuple
// ends, the call's cookie and the rule. The engine keeps only the rule
// per installed stream (the ends are its leg's media, the cookie its
// call's) and rebuilds the flows to delete or replay them: sixteen bytes
// instead of a few hundred per flow.
type Stream struct {
	Src, Dst netip.AddrPort
	Cookie   uint64
	Rule     Rule
}

// Rule is where a stream's flows go and what they do, as decided
// when it was placed.
type Rule struct {
	InPort uint32
	// queue is the set_queue id plus one, 0 for no set_queue: a Rule is
	// kept per installed stream, and folding the flag into the id keeps
	// the record at 16 bytes (see Queue and SetQueue).
	queue       uint32
	Idle        uint16
	Table, Next uint8
	DSCP        uint8
	Sender      bool
	// FromLocal: the stream runs from its leg's Local to its Remote
	// (else from Remote to Local), so the engine can rebuild the ends
	// from the leg.
	FromLocal bool
	// NoMeter: the call's class is not policed; the flows reference no
	// meter whatever id they are given.
	NoMeter bool
}

// Queue returns the rule's set_queue id, and false when it sets none.
func (r Rule) Queue() (uint32, bool) { return r.queue - 1, r.queue != 0 }

// SetQueue makes the rule set queue id (at most 0xfffffffe, as the
// configuration allows: 0xffffffff is OFPQ_ALL).
func (r *Rule) SetQueue(id uint32) { r.queue = id + 1 }

// LegPlan is everything one leg needs.
type LegPlan struct {
	Cookie  uint64
	Streams []StreamPlan
}

// PlanLeg decides the flows for a leg's two media directions (one for a
// direct leg). place gives
// the voice table of a datapath and reports false when the datapath has
// none (it is not connected or not configured for voice). A direction that
// cannot be placed is left out and its reason returned; the caller treats
// a plan with no streams as a fallback and a partial one as degraded.
func PlanLeg(q *config.QoS, leg Leg, loc Locator, place func(dpid uint64) (Placement, bool)) (LegPlan, Reason) {
	plan := LegPlan{Cookie: CallCookie(leg.Server, leg.Call)}
	dirs, reason := PlanDirs(q, leg, loc, place, true)
	for _, d := range dirs {
		if d.Wanted && d.Reason == "" {
			plan.Streams = append(plan.Streams, d.Plan)
		}
	}
	return plan, reason
}

// DirPlan is the plan for one direction of a leg: index 0 is the phone's
// stream (Remote to Local), 1 the other way.
type DirPlan struct {
	Plan   StreamPlan
	Reason Reason // why it could not be placed; "" if sp is set
	Wanted bool   // a direct leg wants only its phone's stream
}

// PlanDirs plans each direction of a leg. receiverOK allows a direction
// whose sender is not located to be placed at its receiver, without the
// ingress port: the engine allows it only once the sender has had time to
// answer a probe, so that a sender behind a controlled port always gets
// its in_port match. The first reason a direction failed is returned too.
func PlanDirs(q *config.QoS, leg Leg, loc Locator, place func(dpid uint64) (Placement, bool), receiverOK bool) ([2]DirPlan, Reason) {
	var dirs [2]DirPlan
	cookie := CallCookie(leg.Server, leg.Call)
	dirs[0].Wanted, dirs[1].Wanted = true, !leg.Direct
	if !validMedia(leg.Local) || !validMedia(leg.Remote) || leg.Local.Addr().Is4() != leg.Remote.Addr().Is4() {
		dirs[0].Reason, dirs[1].Reason = ReasonNoMedia, ReasonNoMedia
		return dirs, ReasonNoMedia
	}
	t := legTreatment(q, leg)
	kbps := LegKbps(q, leg)
	var reason Reason
	for i, dir := range [2][2]netip.AddrPort{{leg.Remote, leg.Local}, {leg.Local, leg.Remote}} {
		if !dirs[i].Wanted {
			continue
		}
		sp, r := planStream(q, t, dir[0], dir[1], cookie, loc, place, receiverOK)
		if r != "" {
			dirs[i].Reason = r
			if reason == "" {
				reason = r
			}
			continue
		}
		sp.spec.Rule.FromLocal = i == 1
		sp.MeterKbps = kbps
		dirs[i].Plan = sp
	}
	return dirs, reason
}

// Homes is a Locator that also knows the subnets of the controlled VLANs
// (their faucet_vips). A host there is behind a controlled port, so a
// stream it sends is never placed at its receiver, where the flow could
// not match the ingress port: it waits until the sender is located, which
// its first packet through the switch teaches the controller.
type Homes interface {
	Homed(ip netip.Addr) bool
}

// homed reports whether loc knows ip to be behind a controlled port.
func homed(loc Locator, ip netip.Addr) bool {
	h, ok := loc.(Homes)
	return ok && h.Homed(ip)
}

// SenderHomed reports whether a direction of leg waits for a sender that
// is not located but known to be behind a controlled port (see Homes).
func SenderHomed(leg Leg, loc Locator) bool {
	senders := []netip.Addr{leg.Remote.Addr()}
	if !leg.Direct {
		senders = append(senders, leg.Local.Addr())
	}
	for _, ip := range senders {
		if _, ok := loc.Locate(ip); !ok && homed(loc, ip) {
			return true
		}
	}
	return false
}

func validMedia(ap netip.AddrPort) bool {
	return ap.IsValid() && ap.Port() != 0 && !ap.Addr().IsUnspecified()
}

// planStream places one direction at the sender's switch, where the flow
// can also pin the ingress port, or else at the receiver's: only if the
// sender is not located (and receiverOK) or out of scope.
func planStream(q *config.QoS, t treatment, src, dst netip.AddrPort, cookie uint64, loc Locator, place func(uint64) (Placement, bool), receiverOK bool) (StreamPlan, Reason) {
	reason := ReasonLocationUnknown
	for _, sender := range []bool{true, false} {
		host := dst.Addr()
		if sender {
			host = src.Addr()
		}
		l, ok := loc.Locate(host)
		if !ok {
			if sender && (!receiverOK || homed(loc, host)) {
				return StreamPlan{}, ReasonLocationUnknown
			}
			continue
		}
		if !q.Applies(l.DP, l.VID, l.Port) {
			reason = ReasonOutOfScope
			continue
		}
		pl, ok := place(l.DPID)
		if !ok {
			if sender {
				// The sender is behind a controlled port whose switch is
				// away: wait for it rather than mark at the receiver
				// without the ingress port.
				return StreamPlan{}, ReasonSwitchDown
			}
			reason = ReasonSwitchDown
			continue
		}
		next, ok := pl.Next[l.VID]
		if !ok {
			reason = ReasonOutOfScope
			continue
		}
		spec := &Stream{Src: src, Dst: dst, Cookie: cookie, Rule: Rule{InPort: l.Port, Sender: sender,
			Table: pl.Table, Next: next, DSCP: t.dscp, Idle: uint16(min(q.IdleTimeout.Seconds(), math.MaxUint16)),
			NoMeter: !t.meter}}
		if t.queue != nil {
			spec.Rule.SetQueue(*t.queue)
		}
		sp := StreamPlan{Location: l, Sender: sender, Src: src, Dst: dst, spec: spec, Flows: spec.Flows(0)}
		return sp, ""
	}
	return StreamPlan{}, reason
}

// flows match the exact RTP 5-tuple and the RTCP one (RTP ports plus one,
// as Asterisk and most phones use without rtcp-mux), using meter (0 for
// none).
func (s *Stream) Flows(meter uint32) []of13.Flow {
	fam := ethIPv4
	if !s.Src.Addr().Is4() {
		fam = ethIPv6
	}
	r := &s.Rule
	instr := of13.Goto(r.Next)
	if !r.NoMeter {
		instr.Meter = meter
	}
	instr.Apply = []of13.Action{of13.SetDSCP(r.DSCP)}
	if id, ok := r.Queue(); ok {
		instr.Apply = append(instr.Apply, of13.SetQueue(id))
	}
	ports := [][2]uint16{{s.Src.Port(), s.Dst.Port()}}
	if s.hasRTCP() {
		ports = append(ports, [2]uint16{s.Src.Port() + 1, s.Dst.Port() + 1})
	}
	flows := make([]of13.Flow, 0, len(ports))
	for _, p := range ports {
		// One allocation per match (NewMatch), not one per field: the
		// engine rebuilds these flows for every install and removal.
		fs := [...]of13.MatchField{of13.EthType(fam), of13.IPProto(protoUDP),
			of13.AddrField(addrField(fam, false), s.Src.Addr()), of13.AddrField(addrField(fam, true), s.Dst.Addr()),
			of13.PortField(of13.FieldUDPSrc, p[0]), of13.PortField(of13.FieldUDPDst, p[1]), of13.InPort(r.InPort)}
		n := len(fs)
		if !r.Sender {
			n-- // no in_port
		}
		m := of13.NewMatch(fs[:n]...)
		flows = append(flows, of13.Flow{
			Table: r.Table, Priority: PriorityCall, Cookie: s.Cookie, Match: m,
			IdleTimeout: r.Idle, Flags: of13.FlagSendFlowRem, Instr: instr,
		})
	}
	return flows
}

// hasRTCP reports whether the stream has an RTCP flow besides its RTP
// one: only if the ports leave room for RTP plus one.
func (s *Stream) hasRTCP() bool {
	return s.Src.Port() < math.MaxUint16 && s.Dst.Port() < math.MaxUint16
}

// count is the number of flows the stream has, as flows builds them.
func (s *Stream) Count() int {
	if s.hasRTCP() {
		return 2
	}
	return 1
}

// WithMeter returns the stream's flows using meter id, and the meter: a
// drop band at the codec's rate with a burst of 200 ms, so a stream at its
// nominal rate is never policed but a flood is.
func (s StreamPlan) WithMeter(id uint32) ([]of13.Flow, of13.Meter) {
	gen := uint16(0)
	if s.spec != nil {
		gen = CookieGen(s.spec.Cookie)
	} else if len(s.Flows) > 0 {
		gen = CookieGen(s.Flows[0].Cookie)
	}
	return s.WithMeterGen(id, gen)
}

// WithMeterGen is WithMeter with the flows' cookie at generation gen (see
// CookieGen): the store that installs a plan chooses its generation.
func (s StreamPlan) WithMeterGen(id uint32, gen uint16) ([]of13.Flow, of13.Meter) {
	var flows []of13.Flow
	if s.spec != nil {
		spec := *s.spec
		spec.Cookie = WithGen(spec.Cookie, gen)
		flows = spec.Flows(id)
	} else {
		flows = make([]of13.Flow, len(s.Flows))
		for i, f := range s.Flows {
			f.Instr.Meter = id
			f.Cookie = WithGen(f.Cookie, gen)
			flows[i] = f
		}
	}
	return flows, CallMeter(id, s.MeterKbps)
}

// CallMeter is a per-call stream's meter: id, policing at kbps with a
// burst of a fifth of a second (at least 16 kbit).
func CallMeter(id, kbps uint32) of13.Meter {
	return of13.Meter{ID: id, Flags: of13.MeterKbps | of13.MeterBurst | of13.MeterStats,
		Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: kbps, BurstSize: max(kbps/5, 16)}}}
}

// LegKbps is the meter rate PlanDirs gives each stream of leg under q:
// its codec's bandwidth with its class's headroom.
func LegKbps(q *config.QoS, leg Leg) uint32 {
	return uint32(math.Ceil(legTreatment(q, leg).kbps(q, leg.Codec)))
}

// legTreatment is leg's class's treatment, or best effort for a leg
// refused QoS.
func legTreatment(q *config.QoS, leg Leg) treatment {
	if leg.BestEffort {
		return bestEffort(q)
	}
	return treatmentOf(q, leg.Class)
}

// Rule returns the rule the stream's flows are built from; the zero Rule
// for a plan not made by PlanDirs.
func (s StreamPlan) Rule() Rule {
	if s.spec == nil {
		return Rule{}
	}
	return s.spec.Rule
}
