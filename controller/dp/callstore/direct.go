package callstore

import (
	"context"
	"net/netip"
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// When a server may move a bridged call's media phone to phone (pjsip
// direct_media), the phones start sending to each other as soon as the
// re-INVITE is through, while the tracker learns of it only when it asks
// the legs (DirectMediaDelay after the bridge forms) and the flows follow
// one flow-mod later: half a second of unmarked voice. Both phones' RTP
// addresses are known once both legs are answered, so the engine installs
// the phone-to-phone streams then, before the re-INVITE. They wait among
// the call's adopted streams: a leg reported direct claims its stream as
// it would one found after a restart, with no flow-mod, and those that no
// leg has claimed after DirectGrace (the media stayed with the PBX) are
// removed, as they are at the hang-up.

// prepareDirect installs the phone-to-phone streams of a call whose two
// legs both have anchored media, unless they are there already.
func (e *Store) prepareDirect(ctx context.Context, c *call) {
	legs := c.legs()
	if len(legs) != 2 {
		return // a transfer, a queue, a conference: no single peer
	}
	a, b := &legs[0], &legs[1]
	if a.local() == b.remote() || b.local() == a.remote() || a.remoteIP == b.remoteIP {
		return // already direct, or one phone on both legs
	}
	for _, pair := range [2][2]*legRecord{{a, b}, {b, a}} {
		from, to := pair[0], pair[1]
		if c.holdsStream(from.remote(), to.remote()) {
			continue
		}
		peer := qos.Leg{Server: c.server, Call: c.id, ID: from.id, Local: to.remote(), Remote: from.remote(), Codec: from.codec, Direct: true}
		dirs, _ := qos.PlanDirs(e.policy, peer, e.sw, e.sw.Placement, false)
		d := dirs[0]
		// Only where the phone's port is pinned: the standing flows do
		// not cover these ports, and a guess must not open a path.
		if d.Reason != "" || !d.Plan.Sender || e.scanning > 0 || !e.scans[d.Plan.Location.DPID] {
			continue
		}
		e.installPeerStream(ctx, c, peer, d.Plan)
	}
}

// installPeerStream installs one phone-to-phone stream as an adopted
// stream of the call and arms its removal after DirectGrace.
func (e *Store) installPeerStream(ctx context.Context, c *call, peer qos.Leg, sp qos.StreamPlan) {
	dpid, cookie := sp.Location.DPID, c.cookie
	id, ok := e.meterIDs(dpid).alloc()
	if !ok {
		return
	}
	flows, meter := sp.WithMeterGen(id, e.Generation)
	b := qos.Batch{MeterAdds: []of13.MeterMod{{Command: of13.ModAdd, Meter: meter}}}
	for _, f := range flows {
		b.Flows = append(b.Flows, of13.AddFlow(f))
	}
	if c.adopted == nil {
		c.adopted = &adoptedStreams{}
	}
	c.adopted.list = append(c.adopted.list, installed{dpid: dpid, meter: id, kbps: sp.MeterKbps, flows: flows})
	e.nflows += len(flows)
	key := flows[0].Key()
	e.apply(ctx, dpid, b, func(err error) {
		if err != nil {
			e.log.Info("switch refused direct-media flows", "server", peer.Server, "call", peer.Call, "leg", peer.ID, "err", err)
			e.dropPeerStream(ctx, cookie, dpid, id, key)
			return
		}
		e.logStream("call direct-media flows ready", peer, dpid, sp.Rule(), id, sp.MeterKbps)
	})
	e.Clock.AfterFunc(e.DirectGrace, func() {
		e.do(ctx, func(ctx context.Context) { e.dropPeerStream(ctx, cookie, dpid, id, key) }) //nolint:errcheck // ctx ended
	})
}

// dropPeerStream removes a phone-to-phone stream that no leg claimed, if
// it is still among the call's adopted streams.
func (e *Store) dropPeerStream(ctx context.Context, cookie, dpid uint64, meter uint32, key of13.FlowKey) {
	c := e.calls[cookie]
	if c == nil || c.adopted == nil {
		return
	}
	i := slices.IndexFunc(c.adopted.list, func(a installed) bool {
		return a.dpid == dpid && a.meter == meter && len(a.flows) > 0 && a.flows[0].Key() == key
	})
	if i < 0 {
		return // claimed by its leg, or gone with the call
	}
	e.removeStream(ctx, c, "", c.adopted.list[i])
	c.adopted.list = slices.Delete(c.adopted.list, i, i+1)
	if len(c.adopted.list) == 0 {
		c.adopted = nil
	}
	if c.empty() {
		delete(e.calls, cookie)
	}
	e.report()
}

// holdsStream reports whether the call has an adopted stream carrying
// src -> dst.
func (c *call) holdsStream(src, dst netip.AddrPort) bool {
	if c.adopted == nil {
		return false
	}
	for _, a := range c.adopted.list {
		for i := range a.flows {
			if qos.Carries(&a.flows[i], src, dst) {
				return true
			}
		}
	}
	return false
}
