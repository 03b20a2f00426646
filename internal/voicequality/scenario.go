package voicequality

import (
	"fmt"
	"math"
	"time"
)

// Levers are the QoS levers a scenario turns on.
type Levers struct {
	// Voipsdn gives the controller a `voip:` section: it follows the calls
	// over AMI and marks their media EF, with a per-call meter (the
	// current controller always meters what it marks). Without it the
	// pipeline is plain Faucet.
	Voipsdn bool
	// Egress is the bottleneck's queueing.
	Egress Egress
	// Admission budgets the uplink (voip.qos.admission) for every call of
	// the scenario but the last, so that the last call to bring its media
	// is over budget and proceeds best effort (reason over_budget): the
	// controller gives it per-call flows that set DSCP 0, above the
	// standing flows that mark the PBX's RTP range (pinhole: mark, as in
	// every voipsdn scenario), so only admitted calls arrive EF.
	// BEPolicing polices best effort towards the uplink to its capacity
	// less the admitted voice.
	Admission  bool
	BEPolicing bool
	// Filled by Validate from the scenario.
	linkKbps, voiceBudgetKbps float64
}

// controllerKbps is the controller's per-call bandwidth of the lab's
// codecs (voip.qos.codec_kbps defaults), which admission counts.
var controllerKbps = map[string]float64{"ulaw": 87.2, "g729": 31.2}

// Call is one call of a scenario.
type Call struct {
	Codec Codec
}

// Scenario is one run: calls across the bottleneck under best-effort load.
type Scenario struct {
	Name   string
	Levers Levers
	// LinkMbit is the bottleneck's rate (default 10).
	LinkMbit float64
	// Load is the best-effort load offered, as a fraction of the link
	// (0.95 = 95%): three quarters as iperf3 UDP, which does not back
	// off, one quarter as iperf3 TCP paced to its share, which does. So
	// at 150% the UDP alone exceeds the link.
	Load  float64
	Calls []Call
	// Duration of the measured media (default 10 s), after Warmup
	// (default 2 s) of best-effort load alone.
	Duration, Warmup time.Duration
	// Interval of the time series (default 1 s).
	Interval time.Duration
	// RTCPInterval is the endpoints' mean RTCP report interval (default
	// 5 s, a phone's); each end also reports once after the media.
	RTCPInterval time.Duration
}

// Validate fills defaults and rejects what cannot run.
func (s *Scenario) Validate() error {
	if s.LinkMbit <= 0 {
		s.LinkMbit = 10
	}
	if (s.Levers.Admission || s.Levers.BEPolicing) && !s.Levers.Voipsdn {
		return fmt.Errorf("scenario %s: admission and best-effort policing need voipsdn", s.Name)
	}
	s.Levers.linkKbps = s.LinkMbit * 1000
	s.Levers.voiceBudgetKbps = s.Levers.linkKbps
	if s.Levers.Admission {
		// Room for every call but the last to bring its media, whichever
		// that is. Each call has two legs (phone - PBX - phone) whose
		// media both cross the uplink, and a call's first leg decides it
		// while its second is counted whatever the budget. With T the
		// calls' rates summed, the last call (rate x) finds 2(T-x) used
		// and asks x more, so a budget of 2T - max(x) - 1 refuses it
		// whoever it is; an earlier call, the one before the last (y)
		// say, finds 2(T-x-y) used and fits as long as 2x + y exceeds
		// max(x) + 1, as it does for the lab's codecs.
		var sum, most float64
		for _, c := range s.Calls {
			sum += controllerKbps[c.Codec.Name]
			most = max(most, controllerKbps[c.Codec.Name])
		}
		// Floored to 0.1 kbit/s so the configuration reads cleanly.
		b := max(math.Floor((2*sum-most-1)*10)/10, 1)
		s.Levers.voiceBudgetKbps = min(b, s.Levers.linkKbps)
	}
	if s.Duration <= 0 {
		s.Duration = 10 * time.Second
	}
	if s.Warmup <= 0 {
		s.Warmup = 2 * time.Second
	}
	if s.Interval <= 0 {
		s.Interval = time.Second
	}
	if s.RTCPInterval <= 0 {
		s.RTCPInterval = 5 * time.Second
	}
	if len(s.Calls) == 0 {
		return fmt.Errorf("scenario %s: no calls", s.Name)
	}
	if len(s.Calls) > 50 {
		return fmt.Errorf("scenario %s: %d calls, at most 50", s.Name, len(s.Calls))
	}
	if s.Load < 0 || s.Load > 5 {
		return fmt.Errorf("scenario %s: load %v out of range 0..5", s.Name, s.Load)
	}
	return nil
}

// Direction of a measured stream across the bottleneck.
const (
	// Up: phone to PBX, through the shaped link (the congested way).
	Up = "up"
	// Down: PBX to phone, not shaped.
	Down = "down"
)

// StreamResult is one direction of one call leg as its receiver saw it.
type StreamResult struct {
	Call   string // the PBX's Linkedid
	Leg    string // channel name
	Dir    string // Up or Down
	Stats  Stats
	Series []Point
	// RTCP is what the receiver's RTCP reports told the sender.
	RTCP RTCPStats
}

// Result is one scenario's outcome.
type Result struct {
	Scenario   Scenario
	Streams    []StreamResult
	BestEffort []BestEffort
	// Queues is `tc -s qdisc show` of the bottleneck after the run.
	Queues string
}

// Worst returns, for the streams of codec c in direction dir, the one with
// the lowest MOS (the call an engineer would be asked about), and how many
// there were.
func (r Result) Worst(c Codec, dir string) (StreamResult, int) {
	var w StreamResult
	n := 0
	for _, s := range r.Streams {
		if s.Stats.Codec.Name != c.Name || s.Dir != dir {
			continue
		}
		if n == 0 || s.Stats.MOS < w.Stats.MOS {
			w = s
		}
		n++
	}
	return w, n
}
