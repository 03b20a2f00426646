package netevents

import (
	"time"

	"github.com/voipsdn/voipsdn/controller/dp/callstore"
	"github.com/voipsdn/voipsdn/qos"
)

// Outcomes turns the flow store's per-leg outcomes into VOIP_CALL
// qos_installed and best_effort records (voice.Options.Outcomes).
func (c Calls) Outcomes() callstore.Outcomes { return outcomes{c} }

type outcomes struct{ calls Calls }

func (o outcomes) QoSInstalled(leg qos.Leg, at time.Time, latency time.Duration, streams []callstore.Placed) {
	if leg.BestEffort {
		// The flows of a call admission control refused only keep it
		// best effort; its best_effort record was published when it was
		// refused, and no qos_installed may contradict it.
		return
	}
	where := make([]Placement, len(streams))
	for i, s := range streams {
		dir := "from_phone"
		if s.ToPhone {
			dir = "to_phone"
		}
		where[i] = Placement{DPID: s.DPID, DPName: s.DP, Port: s.InPort, VLAN: s.VID, DSCP: s.DSCP,
			MeterID: s.Meter, Direction: dir}
	}
	o.calls.QoSInstalledIn(leg.Server, leg.Call, leg.ID, at, latency, where)
}

func (o outcomes) BestEffort(leg qos.Leg, at time.Time, reason qos.Reason) {
	o.calls.BestEffort(leg.Server, leg.Call, leg.ID, at, string(reason))
}
