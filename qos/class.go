package qos

import "github.com/voipsdn/voipsdn/faucet/config"

// treatment is what a leg's streams get: the policy's defaults, or those
// of the call's class (voip.qos.classes), which the config fills from the
// policy for every key the class leaves out.
type treatment struct {
	dscp     uint8
	meter    bool
	headroom float64
	queue    *uint32
}

// treatmentOf returns the treatment of the named class, or the policy's
// when name is "" or not a class of q (a reload may have removed it).
func treatmentOf(q *config.QoS, name string) treatment {
	if name != "" {
		if c := q.Class(name); c != nil {
			return treatment{dscp: c.DSCP, meter: c.Meter, headroom: c.HeadroomPercent, queue: c.Queue}
		}
	}
	return treatment{dscp: q.VoiceDSCP, meter: true, headroom: q.HeadroomPercent, queue: q.Queue}
}

// kbps is the rate a stream of codec is policed at under t.
func (t treatment) kbps(q *config.QoS, codec string) float64 {
	return q.Kbps(codec) * (1 + t.headroom/100)
}

// bestEffort is the treatment of a call that proceeds best effort but
// keeps per-call flows (Leg.BestEffort): DSCP 0, no queue, the policy's
// meter and headroom, so that a refused call cannot flood either.
func bestEffort(q *config.QoS) treatment {
	return treatment{dscp: 0, meter: true, headroom: q.HeadroomPercent}
}

// Treats reports whether rule gives a stream of leg the treatment its
// class (or best effort, for a leg refused QoS) asks for: DSCP, meter on
// or off, queue. A stream adopted after a restart is kept only if it does:
// a reload or a new admission decision may have changed the treatment.
func Treats(q *config.QoS, leg Leg, r Rule) bool {
	t := legTreatment(q, leg)
	id, queued := r.Queue()
	switch {
	case r.DSCP != t.dscp || r.NoMeter == t.meter:
		return false
	case t.queue == nil:
		return !queued
	default:
		return queued && id == *t.queue
	}
}
