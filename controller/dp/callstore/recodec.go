package callstore

import (
	"context"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// recodec takes a new codec for a leg whose media addresses are the ones
// installed. A stream's flows do not depend on the codec, so they stay,
// with their counters, and each meter whose rate changes is modified in
// place: replacing the flows would leave the call's packets unmarked for
// a round trip and churn the switch for nothing. This is the common case
// when a PBX is followed by two sources and the first to report a leg's
// media does not know its codec yet.
func (e *Store) recodec(ctx context.Context, l *legRecord, leg qos.Leg) {
	kbps := qos.LegKbps(e.policy, leg)
	from := l.codec
	l.codec = leg.Codec
	used := l.used()
	modified := 0
	for i := range used {
		st := &used[i]
		if st.kbps == rate16(kbps) {
			continue
		}
		st.kbps = rate16(kbps)
		modified++
		dpid, meter := st.dpid, st.meter
		mm := of13.MeterMod{Command: of13.ModModify, Meter: qos.CallMeter(meter, kbps)}
		e.apply(ctx, dpid, qos.Batch{MeterAdds: []of13.MeterMod{mm}}, func(err error) {
			if err != nil {
				// The stream keeps its flows and the old rate; the
				// next replay sets the meter from the record.
				e.log.Warn("switch refused a call meter's new rate", "server", leg.Server, "call", leg.Call,
					"leg", leg.ID, "dp", dpName(dpid), "meter", meter, "meter_kbps", kbps, "err", err)
			}
		})
	}
	e.log.Info("call codec changed", "server", leg.Server, "call", leg.Call, "leg", leg.ID,
		"from", from, "to", leg.Codec, "meter_kbps", kbps, "meters_modified", modified)
}
