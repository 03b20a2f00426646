package callstore

import (
	"context"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

func (e *Store) mediaKnown(ctx context.Context, leg qos.Leg, known time.Time) {
	cookie := qos.CallCookie(leg.Server, leg.Call)
	c := e.calls[cookie]
	if c == nil {
		if len(e.calls) >= e.policy.MaxCalls {
			e.forgetRetry(cookie, leg.ID)
			e.fallback(leg, qos.ReasonOverCapacity)
			return
		}
		c = &call{id: leg.Call, server: leg.Server, cookie: cookie}
	}
	if c.id == "" {
		// Adopted after a restart: the tracker now names the call.
		c.id, c.server = leg.Call, leg.Server
	}
	p := e.retries[cookie][leg.ID]
	if p != nil && p.leg != leg {
		// New media while the old waited: the wait starts again.
		e.forgetRetry(cookie, leg.ID)
		p = nil
	}
	var rec *legRecord
	if i := c.leg(leg.ID); i >= 0 {
		if l := &c.legs()[i]; l.sameMedia(leg) {
			if p == nil {
				// The tracker reports a leg's media again after a resync
				// or when RTCP confirms it; nothing changed, so nothing to
				// do.
				return
			}
			// A direction of the leg still waits: place it now.
			rec = l
		} else if p == nil && l.sameAddrs(leg) {
			// Only the codec changed (a source that knows it reports the
			// leg after one that did not): the flows stay, the meters
			// follow.
			e.recodec(ctx, l, leg)
			return
		} else {
			// New media addresses for a known leg (re-INVITE, a resync,
			// Getvar replacing an RTCP guess): replace its flows.
			e.removeLeg(ctx, c, l)
			c.dropLeg(i)
		}
	}
	if p == nil && rec == nil {
		e.log.Info("call media known", "server", leg.Server, "call", leg.Call, "leg", leg.ID,
			"phone", leg.Remote.String(), "peer", leg.Local.String(), "codec", leg.Codec, "direct", leg.Direct)
	}
	// A sender not located yet is probed; its stream is placed at the
	// receiver's switch (without in_port) only if it has not answered
	// within SenderWait of the first try, or on the last try: a host
	// behind a controlled port answers in milliseconds. Never on the first
	// try, however late the engine gets to it: the probe must go first.
	receiverOK := p != nil && (e.Clock.Now().Sub(p.first) >= e.SenderWait || p.attempts >= e.Retries)
	dirs, _ := qos.PlanDirs(e.policy, leg, e.sw, e.sw.Placement, receiverOK)
	fresh := newLegRecord(leg)
	target := rec
	if target == nil {
		target = &fresh
	}
	var wait, fail qos.Reason
	var todo []qos.StreamPlan
	for i := range dirs {
		d := &dirs[i]
		if !d.Wanted || target.hasDir(i == 1) {
			continue
		}
		if st, ok := e.claimAdopted(c, leg, i == 1); ok {
			target.add(st)
			continue
		}
		switch {
		case d.Reason == qos.ReasonLocationUnknown || d.Reason == qos.ReasonSwitchDown:
			wait = d.Reason
		case d.Reason != "":
			if fail == "" {
				fail = d.Reason
			}
		case e.scanning > 0 || !e.scanned(ctx, d.Plan.Location.DPID):
			// The switch may still hold this stream from before a
			// restart: adopt it once its flows are read, never install
			// a second copy beside it.
			wait = qos.ReasonSwitchDown
		default:
			todo = append(todo, d.Plan)
		}
	}
	if wait == qos.ReasonLocationUnknown {
		e.probeUnknown(leg)
	}
	// The leg's install time is taken when the last of its streams is
	// confirmed.
	waiting := &legWait{left: len(todo), known: known}
	for _, sp := range todo {
		st, ok := e.installStream(ctx, c, leg, sp, waiting)
		if ok && !target.add(st) {
			// One stream per direction, so this cannot happen; if it did,
			// the stream could never be removed.
			panic("qos: more than two streams planned for a leg")
		}
	}
	if rec == nil && len(fresh.used()) > 0 {
		rec = c.addLeg(fresh)
	}
	if rec != nil && len(todo) > 0 {
		e.supersedeAdopted(ctx, c, rec)
	}
	if wait != "" && e.retry(ctx, leg, known) {
		e.keep(c)
		return
	}
	if wait == qos.ReasonLocationUnknown && e.holdForSender(leg, rec != nil) {
		e.keep(c)
		return
	}
	e.forgetRetry(cookie, leg.ID)
	if fail == "" {
		fail = wait
	}
	switch {
	case rec == nil && fail != "":
		e.fallback(leg, fail)
	case fail != "":
		e.log.Info("call leg partly best effort", "server", leg.Server, "call", leg.Call, "leg", leg.ID, "reason", string(fail))
		if e.Outcomes != nil {
			e.Outcomes.BestEffort(leg, e.Clock.Now(), fail)
		}
	}
	// A best-effort leg's call gets no prepared direct streams: they
	// would carry the policy's marking, and a leg reported direct would
	// claim them; it is planned best effort when it reports direct.
	if leg.MayGoDirect && !leg.Direct && !leg.BestEffort && rec != nil {
		e.prepareDirect(ctx, c)
	}
	e.keep(c)
}

// probeUnknown asks the network where the leg's unlocated endpoints are.
func (e *Store) probeUnknown(leg qos.Leg) {
	p, ok := e.sw.(qos.Prober)
	if !ok {
		return
	}
	for _, ip := range []netip.Addr{leg.Remote.Addr(), leg.Local.Addr()} {
		if _, known := e.sw.Locate(ip); !known {
			p.Probe(ip)
		}
	}
}

// legWait tracks a leg's streams until the switch has confirmed them.
type legWait struct {
	left  int
	ok    bool
	known time.Time
	// placed collects the confirmed streams, only when Outcomes is set.
	placed []Placed
}

// installStream queues a stream's meter and flows. The switch's verdict
// arrives later: a refusal undoes the stream and counts a fallback.
func (e *Store) installStream(ctx context.Context, c *call, leg qos.Leg, sp qos.StreamPlan, w *legWait) (stream, bool) {
	dpid, cookie := sp.Location.DPID, c.cookie
	id, ok := e.meterIDs(dpid).alloc()
	if !ok {
		e.fallback(leg, qos.ReasonMeterTableFull)
		w.left--
		return stream{}, false
	}
	flows, meter := sp.WithMeterGen(id, e.Generation)
	b := qos.Batch{MeterAdds: []of13.MeterMod{{Command: of13.ModAdd, Meter: meter}}}
	for _, f := range flows {
		b.Flows = append(b.Flows, of13.AddFlow(f))
	}
	e.apply(ctx, dpid, b, func(err error) {
		w.left--
		if err == nil {
			w.ok = true
			e.logStream("call flows installed", leg, dpid, sp.Rule(), id, sp.MeterKbps)
			if e.Outcomes != nil {
				w.placed = append(w.placed, placed(sp, id))
			}
		} else {
			e.log.Info("switch refused call flows", "server", leg.Server, "call", leg.Call, "leg", leg.ID, "dp", dpName(dpid), "err", err)
			e.fallback(leg, reasonOf(err))
			e.dropStream(ctx, cookie, leg.ID, dpid, id, flows)
		}
		if w.left == 0 && w.ok {
			now := e.Clock.Now()
			e.obs.InstallLatency(now.Sub(w.known))
			if e.Outcomes != nil {
				e.Outcomes.QoSInstalled(leg, now, now.Sub(w.known), w.placed)
			}
		}
	})
	e.nflows += len(flows)
	// sp comes from planDirs, which always sets spec.
	return stream{dpid: dpid, meter: id, kbps: rate16(sp.MeterKbps), rule: sp.Rule(), gen: e.Generation}, true
}

// logStream logs one stream of a leg: where it is marked and how.
func (e *Store) logStream(msg string, leg qos.Leg, dpid uint64, r qos.Rule, meter, kbps uint32) {
	src, dst := leg.Remote, leg.Local
	if r.FromLocal {
		src, dst = dst, src
	}
	var port uint32 // 0: at the receiver's switch, no ingress port
	if r.Sender {
		port = r.InPort
	}
	e.log.Info(msg, "server", leg.Server, "call", leg.Call, "leg", leg.ID, "dp", dpName(dpid), "in_port", port,
		"src", src.String(), "dst", dst.String(), "dscp", r.DSCP, "meter", meter, "meter_kbps", kbps, "codec", leg.Codec)
}

// dropStream forgets a stream the switch refused and removes whatever part
// of it landed.
func (e *Store) dropStream(ctx context.Context, cookie uint64, legID string, dpid uint64, meter uint32, flows []of13.Flow) {
	if c := e.calls[cookie]; c != nil {
		if i := c.leg(legID); i >= 0 {
			l := &c.legs()[i]
			e.nflows -= l.remove(cookie, dpid, meter)
			if len(l.used()) == 0 {
				c.dropLeg(i)
			}
		}
		if c.empty() {
			delete(e.calls, cookie)
		}
	}
	e.apply(ctx, dpid, removal([]uint32{meter}, flows), nil)
	e.meterIDs(dpid).free(meter)
	e.report()
}
