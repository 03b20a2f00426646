package callstore

import (
	"time"

	"github.com/voipsdn/voipsdn/qos"
)

// Outcomes hears, per leg, where its flows went or why it has none: what
// network tools and test calls report (the VOIP_CALL qos_installed and
// best_effort records). Methods run on the store's goroutine and must
// not block.
type Outcomes interface {
	// QoSInstalled: the switches confirmed every stream queued for the
	// leg; latency runs from media known to the last confirmation.
	QoSInstalled(leg qos.Leg, at time.Time, latency time.Duration, streams []Placed)
	// BestEffort: the leg gets no per-call QoS, for reason, in at least
	// one direction (the other may have been reported installed).
	BestEffort(leg qos.Leg, at time.Time, reason qos.Reason)
}

// Placed is one confirmed stream of a leg.
type Placed struct {
	DPID uint64
	DP   string // the datapath's name, as the locator gave it
	// InPort is the sender's port the flows match; 0 when the stream is
	// marked at the receiver's switch, without it.
	InPort uint32
	VID    uint16
	DSCP   uint8
	// Meter is 0 when the stream's class is not policed.
	Meter uint32
	// ToPhone: the stream runs from the leg's Local end to its phone.
	ToPhone bool
}

func placed(sp qos.StreamPlan, meter uint32) Placed {
	r := sp.Rule()
	p := Placed{DPID: sp.Location.DPID, DP: sp.Location.DP, VID: sp.Location.VID, DSCP: r.DSCP, ToPhone: r.FromLocal}
	if r.Sender {
		p.InPort = r.InPort
	}
	if !r.NoMeter {
		p.Meter = meter
	}
	return p
}
