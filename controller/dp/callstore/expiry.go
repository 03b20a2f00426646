package callstore

import (
	"context"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// Per-call flows carry an idle timeout, so that nothing outlives a call
// for long if the controller is lost, and ask the switch to report their
// removal (send_flow_rem). While the controller runs, a flow that idles
// out is a stream that was silent for idle_timeout (a long hold, silence
// suppression, a phone that paused), not a call that ended: the engine
// hears of hang-ups from the call source. So:
//
//   - a flow of a leg the engine holds is installed again at once, with
//     the same meter, so that the stream is marked when it resumes;
//   - a flow adopted after a restart and not claimed by any leg yet is
//     forgotten, and once the last flow using its meter is gone the meter
//     is deleted: meters have no timeout, and one left without flows would
//     stay on the switch for good.
//
// Removals the engine asked for (reason delete) need nothing: the engine
// forgot those flows when it deleted them.

// FlowRemoved handles a switch's report that a flow was removed.
func (e *Store) FlowRemoved(ctx context.Context, dpid uint64, fr *of13.FlowRemoved) error {
	if !qos.IsCallCookie(fr.Cookie) || (fr.Reason != of13.RemovedIdleTimeout && fr.Reason != of13.RemovedHardTimeout) {
		return nil
	}
	f := fr.Flow
	return e.do(ctx, func(ctx context.Context) { e.flowExpired(ctx, dpid, &f) })
}

func (e *Store) flowExpired(ctx context.Context, dpid uint64, gone *of13.Flow) {
	c := e.calls[qos.CallKey(gone.Cookie)]
	if c == nil {
		return
	}
	key := gone.Key()
	legs := c.legs()
	for i := range legs {
		for st := range c.legStreams(&legs[i]) {
			if st.dpid != dpid {
				continue
			}
			for _, f := range st.flows {
				if f.Key() != key {
					continue
				}
				server, call, leg := c.server, c.id, legs[i].id
				e.log.Info("call flow idled out; installing it again", "server", server, "call", call, "leg", leg,
					"dp", dpName(dpid), "meter", st.meter)
				e.apply(ctx, dpid, qos.Batch{Flows: []of13.FlowMod{of13.AddFlow(f)}}, func(err error) {
					if err != nil {
						e.log.Warn("reinstalling an idled-out call flow failed", "server", server, "call", call, "leg", leg,
							"dp", dpName(dpid), "err", err)
					}
				})
				return
			}
		}
	}
	meters := e.forgetAdopted(dpid, gone)
	e.log.Info("adopted call flow idled out", "server", c.server, "call", c.id, "dp", dpName(dpid), "meters_deleted", len(meters))
	if len(meters) > 0 {
		e.apply(ctx, dpid, removal(meters, nil), nil)
	}
}
