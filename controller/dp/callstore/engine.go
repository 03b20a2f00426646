package callstore

import (
	"context"
	"errors"
	"fmt"
	"github.com/voipsdn/voipsdn/qos"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Store installs and removes per-call flows as calls come and go. One
// goroutine, started by Run, owns all its state; the exported methods queue
// work for it and are safe for concurrent use.
type Store struct {
	policy *config.QoS
	sw     qos.Switches
	obs    qos.Observer
	log    *slog.Logger
	reqs   chan func(context.Context)

	calls  map[uint64]*call
	meters map[uint64]*meterIDs
	// retries holds legs waiting to be planned again because their
	// endpoints were not located yet or their switch was down, by call
	// cookie and leg id.
	retries map[uint64]map[string]*pendingLeg
	// RetryDelay (the first wait, doubled after each attempt) and Retries
	// bound those attempts (set before Run).
	RetryDelay time.Duration
	Retries    int
	// SenderWait is how long a stream whose sender is not located waits
	// for it (probed, it answers in milliseconds if it is behind a
	// controlled port) before it is marked at the receiver's switch,
	// without the ingress port (set before Run).
	SenderWait time.Duration
	// DirectGrace is how long phone-to-phone streams installed ahead of
	// direct media wait for their legs to go direct (set before Run).
	DirectGrace time.Duration
	// Clock is the time source of the waits above (set before Run).
	Clock Clock

	// scans records, per datapath, whether its per-call flows have been
	// read (true) or are being read (false) since the engine started;
	// scanning counts the reads under way. Until a datapath has been read
	// the engine installs nothing, so that it adopts the flows a previous
	// run left rather than install a second copy.
	scans    map[uint64]bool
	scanning int

	committers map[uint64]*committer
	inflight   atomic.Int64
	// nflows counts the per-call flows installed, kept as they change so
	// that reporting costs nothing per call.
	nflows int
	wg     sync.WaitGroup
}

// New returns an engine for policy. Call Run to start it.
func New(policy *config.QoS, sw qos.Switches, obs qos.Observer, log *slog.Logger) *Store {
	return &Store{
		policy: policy, sw: sw, obs: obs, log: log.With("component", "qos"),
		reqs:       make(chan func(context.Context), 4096),
		calls:      make(map[uint64]*call),
		meters:     make(map[uint64]*meterIDs),
		retries:    make(map[uint64]map[string]*pendingLeg),
		committers: make(map[uint64]*committer),
		// A host's address is learned from its ARP or ND (or a probe's
		// answer) and a switch reconnects within a second or two: retry
		// soon, then every second, for about 10 s in all.
		RetryDelay: 200 * time.Millisecond, Retries: 12, SenderWait: time.Second,
		DirectGrace: 3 * time.Second, Clock: systemClock{},
		scans: make(map[uint64]bool),
	}
}

// Run processes requests until ctx ends, then waits for the committers
// it started.
func (e *Store) Run(ctx context.Context) {
	defer e.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-e.reqs:
			f(ctx)
		}
	}
}

// do queues f for the engine goroutine, waiting for room rather than
// dropping: losing a hang-up would leak flows until their idle timeout.
func (e *Store) do(ctx context.Context, f func(context.Context)) error {
	select {
	case e.reqs <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetPolicy replaces the policy after a config reload. Calls with QoS keep
// their flows; new legs use the new policy.
func (e *Store) SetPolicy(ctx context.Context, p *config.QoS) error {
	return e.do(ctx, func(context.Context) { e.policy = p })
}

// MediaKnown installs a leg's flows. known is when the tracker learned the
// media addresses; the install latency is measured from it.
func (e *Store) MediaKnown(ctx context.Context, leg qos.Leg, known time.Time) error {
	return e.do(ctx, func(ctx context.Context) { e.mediaKnown(ctx, leg, known) })
}

// CallEnded removes every flow of a call.
func (e *Store) CallEnded(ctx context.Context, server, callID string) error {
	return e.do(ctx, func(ctx context.Context) { e.removeCall(ctx, qos.CallCookie(server, callID)) })
}

// LegEnded removes the flows of one leg whose call goes on, as after a
// transfer.
func (e *Store) LegEnded(ctx context.Context, server, callID, legID string) error {
	return e.do(ctx, func(ctx context.Context) {
		cookie := qos.CallCookie(server, callID)
		e.forgetRetry(cookie, legID)
		c := e.calls[cookie]
		if c == nil {
			return
		}
		i := c.leg(legID)
		if i < 0 {
			return
		}
		e.removeLeg(ctx, c, &c.legs()[i])
		c.dropLeg(i)
		if c.empty() {
			delete(e.calls, c.cookie)
		}
		e.report()
	})
}

// Sweep reconciles the per-call flows on one datapath with the calls the
// engine knows are live, after a switch connects or once the AMI
// connections have resynced after a controller restart: flows of calls
// that are live are adopted (their meters marked in use), all others are
// deleted. live reports whether a call cookie belongs to a live call that
// the engine should keep; nil means "only calls the engine installed".
func (e *Store) Sweep(ctx context.Context, dpid uint64, live func(cookie uint64) bool) error {
	done := make(chan error, 1)
	if err := e.do(ctx, func(ctx context.Context) { done <- e.sweep(ctx, dpid, live) }); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

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
		} else {
			// New media addresses or codec for a known leg (re-INVITE, a
			// resync, Getvar replacing an RTCP guess): replace its flows.
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
	fresh := legRecord{id: leg.ID, local: leg.Local, remote: leg.Remote, codec: leg.Codec}
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
	e.forgetRetry(cookie, leg.ID)
	if fail == "" {
		fail = wait
	}
	switch {
	case rec == nil && fail != "":
		e.fallback(leg, fail)
	case fail != "":
		e.log.Info("call leg partly best effort", "server", leg.Server, "call", leg.Call, "leg", leg.ID, "reason", string(fail))
	}
	if leg.MayGoDirect && !leg.Direct && rec != nil {
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
}

// adopt records a live call's flow found on a switch, so that the call's
// hang-up removes it.
func (e *Store) adopt(dpid uint64, f of13.Flow) {
	c := e.calls[f.Cookie]
	if c == nil {
		c = &call{cookie: f.Cookie}
		e.calls[f.Cookie] = c
	}
	if c.adopted == nil {
		c.adopted = &adoptedStreams{}
	}
	a := c.adopted
	i := slices.IndexFunc(a.list, func(a installed) bool { return a.dpid == dpid && a.meter == f.Instr.Meter })
	if i < 0 {
		// The codec of an adopted stream is unknown until the tracker
		// reports the leg again; until then a replay uses the default rate.
		kbps := uint32(math.Ceil(e.policy.MeterKbps("")))
		a.list = append(a.list, installed{dpid: dpid, meter: f.Instr.Meter, kbps: kbps})
		i = len(a.list) - 1
		e.meterIDs(dpid).take(f.Instr.Meter)
	}
	a.list[i].flows = append(a.list[i].flows, f)
	e.nflows++
}

// supersedeAdopted drops adopted flows that a fresh install has replaced
// (same key, so the switch already holds the new version) and deletes the
// adopted meters nothing uses any more.
func (e *Store) supersedeAdopted(ctx context.Context, c *call, l *legRecord) {
	if c.adopted == nil {
		return
	}
	fresh := make(map[of13.FlowKey]uint64)
	for st := range c.legStreams(l) {
		for _, f := range st.flows {
			fresh[f.Key()] = st.dpid
		}
	}
	c.adopted.list = slices.DeleteFunc(c.adopted.list, func(a installed) bool {
		kept := a.flows[:0]
		for _, f := range a.flows {
			if dpid, ok := fresh[f.Key()]; !ok || dpid != a.dpid {
				kept = append(kept, f)
			}
		}
		e.nflows -= len(a.flows) - len(kept)
		if len(kept) > 0 {
			a.flows = kept
			return false
		}
		if qos.IsCallMeter(a.meter) {
			del := qos.Batch{MeterDeletes: []of13.MeterMod{{Command: of13.ModDelete, Meter: of13.Meter{ID: a.meter}}}}
			e.apply(ctx, a.dpid, del, nil)
			e.meterIDs(a.dpid).free(a.meter)
		}
		return true
	})
	if len(c.adopted.list) == 0 {
		c.adopted = nil
	}
}

// pendingLeg is a leg waiting to be planned again.
type pendingLeg struct {
	leg      qos.Leg
	known    time.Time
	first    time.Time // when it started waiting
	attempts int
	stop     func() bool // cancels the armed attempt; nil while none is
}

// maxRetryDelay caps the wait between attempts: a waiting call is usually
// short of one ARP answer or one switch reconnect.
const maxRetryDelay = time.Second

// retry plans the leg again after RetryDelay, doubling up to a second,
// at most Retries times, unless its call or leg ends meanwhile. It reports
// whether it will. The timer is only the fallback: a host being located
// (Located), a switch connecting or its flows being read (Kick) plan the
// waiting legs again at once.
func (e *Store) retry(ctx context.Context, leg qos.Leg, known time.Time) bool {
	cookie := qos.CallCookie(leg.Server, leg.Call)
	p := e.retries[cookie][leg.ID]
	if p == nil {
		p = &pendingLeg{leg: leg, known: known, first: e.Clock.Now()}
		if e.retries[cookie] == nil {
			e.retries[cookie] = make(map[string]*pendingLeg)
		}
		e.retries[cookie][leg.ID] = p
	}
	p.leg = leg
	if p.stop != nil {
		return true // planned again early; the armed attempt still stands
	}
	if p.attempts >= e.Retries {
		return false
	}
	delay := min(e.RetryDelay<<p.attempts, max(maxRetryDelay, e.RetryDelay))
	p.attempts++
	p.stop = e.Clock.AfterFunc(delay, func() {
		e.do(ctx, func(ctx context.Context) { //nolint:errcheck // ctx ended: nothing to retry
			if e.retries[cookie][leg.ID] == p {
				p.stop = nil
				e.mediaKnown(ctx, p.leg, p.known)
			}
		})
	})
	return true
}

// Kick plans every waiting leg again now, as when a switch has just
// connected and its hosts may be found at once.
func (e *Store) Kick(ctx context.Context) error {
	return e.do(ctx, e.kick)
}

func (e *Store) forgetRetry(cookie uint64, leg string) {
	if legs := e.retries[cookie]; legs != nil {
		if p := legs[leg]; p != nil && p.stop != nil {
			p.stop()
		}
		delete(legs, leg)
		if len(legs) == 0 {
			delete(e.retries, cookie)
		}
	}
}

// keep records a call that has at least one installed leg.
func (e *Store) keep(c *call) {
	if !c.empty() {
		e.calls[c.cookie] = c
	}
	e.report()
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
	flows, meter := sp.WithMeter(id)
	b := qos.Batch{MeterAdds: []of13.MeterMod{{Command: of13.ModAdd, Meter: meter}}}
	for _, f := range flows {
		b.Flows = append(b.Flows, of13.AddFlow(f))
	}
	e.apply(ctx, dpid, b, func(err error) {
		w.left--
		if err == nil {
			w.ok = true
			e.logStream("call flows installed", leg, dpid, sp.Rule(), id, sp.MeterKbps)
		} else {
			e.log.Info("switch refused call flows", "server", leg.Server, "call", leg.Call, "leg", leg.ID, "dp", dpName(dpid), "err", err)
			e.fallback(leg, reasonOf(err))
			e.dropStream(ctx, cookie, leg.ID, dpid, id, flows)
		}
		if w.left == 0 && w.ok {
			e.obs.InstallLatency(e.Clock.Now().Sub(w.known))
		}
	})
	e.nflows += len(flows)
	// sp comes from planDirs, which always sets spec.
	return stream{dpid: dpid, meter: id, kbps: sp.MeterKbps, rule: sp.Rule()}, true
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

func dpName(dpid uint64) string { return fmt.Sprintf("%016x", dpid) }

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

// removal deletes exactly the given flows, then their meters.
func removal(meters []uint32, flows []of13.Flow) qos.Batch {
	var b qos.Batch
	for _, f := range flows {
		b.Flows = append(b.Flows, of13.DeleteStrict(f))
	}
	for _, id := range meters {
		b.MeterDeletes = append(b.MeterDeletes, of13.MeterMod{Command: of13.ModDelete, Meter: of13.Meter{ID: id}})
	}
	return b
}

// removeLeg deletes a leg's streams from their switches.
func (e *Store) removeLeg(ctx context.Context, c *call, l *legRecord) {
	for st := range c.legStreams(l) {
		e.removeStream(ctx, c, l.id, st)
	}
}

// removeStream deletes one stream's flows, then its meter if it is one of
// the engine's. leg is "" for a stream adopted but not claimed by a leg.
func (e *Store) removeStream(ctx context.Context, c *call, leg string, st installed) {
	dpid, id, server := st.dpid, c.id, c.server
	var meters []uint32
	if qos.IsCallMeter(st.meter) {
		meters = []uint32{st.meter}
	}
	e.nflows -= len(st.flows)
	e.apply(ctx, dpid, removal(meters, st.flows), func(err error) {
		if err != nil {
			// The switch may be gone; its flows then expire by idle
			// timeout, and the next Sweep removes them on reconnect.
			e.log.Warn("removing call flows failed", "server", server, "call", id, "leg", leg, "dp", dpName(dpid), "err", err)
			return
		}
		e.log.Info("call flows removed", "server", server, "call", id, "leg", leg, "dp", dpName(dpid),
			"meter", st.meter, "flows", len(st.flows))
	})
	e.meterIDs(dpid).free(st.meter)
}

func (e *Store) removeCall(ctx context.Context, cookie uint64) {
	for leg := range e.retries[cookie] {
		e.forgetRetry(cookie, leg)
	}
	c := e.calls[cookie]
	if c == nil {
		return
	}
	legs := c.legs()
	for i := range legs {
		e.removeLeg(ctx, c, &legs[i])
	}
	if c.adopted != nil {
		for _, a := range c.adopted.list {
			e.removeStream(ctx, c, "", a)
		}
	}
	delete(e.calls, cookie)
	e.report()
}

func (e *Store) sweep(ctx context.Context, dpid uint64, live func(uint64) bool) error {
	flows, err := e.sw.CallFlows(ctx, dpid)
	if err != nil {
		return fmt.Errorf("qos: sweep dp %016x: %w", dpid, err)
	}
	e.absorb(dpid, flows)
	e.replay(ctx, dpid, flows)
	// Flows of legs the engine installed or that claimed them stay; so do
	// adopted ones of live calls, until their legs are reported again.
	claimed := make(map[of13.FlowKey]bool)
	for _, c := range e.calls {
		legs := c.legs()
		for i := range legs {
			for st := range c.legStreams(&legs[i]) {
				if st.dpid == dpid {
					for _, f := range st.flows {
						claimed[f.Key()] = true
					}
				}
			}
		}
	}
	var stale []of13.Flow
	var staleMeters []uint32
	for i := range flows {
		f := &flows[i]
		if claimed[f.Key()] || (live != nil && live(f.Cookie)) {
			continue
		}
		stale = append(stale, *f)
		staleMeters = append(staleMeters, e.forgetAdopted(dpid, f)...)
	}
	if len(stale) == 0 {
		return nil
	}
	e.log.Info("removing stale call flows", "dp", dpName(dpid), "flows", len(stale))
	return e.sw.Apply(ctx, dpid, removal(dedup(staleMeters), stale))
}

// forgetAdopted drops an adopted flow the switch no longer holds, or is
// about to lose, and returns the meter it used if no other adopted flow
// uses it any more, freeing the id: a meter has no timeout, so one left
// without flows would stay on the switch for good.
func (e *Store) forgetAdopted(dpid uint64, f *of13.Flow) []uint32 {
	c := e.calls[f.Cookie]
	if c == nil || c.adopted == nil {
		return nil
	}
	key := f.Key()
	var freed []uint32
	list := c.adopted.list[:0]
	for _, a := range c.adopted.list {
		if a.dpid == dpid {
			n := len(a.flows)
			a.flows = slices.DeleteFunc(a.flows, func(g of13.Flow) bool { return g.Key() == key })
			e.nflows -= n - len(a.flows)
			if len(a.flows) == 0 {
				if qos.IsCallMeter(a.meter) {
					freed = append(freed, a.meter)
					e.meterIDs(dpid).free(a.meter)
				}
				continue
			}
		}
		list = append(list, a)
	}
	c.adopted.list = list
	if len(list) == 0 {
		c.adopted = nil
	}
	if c.empty() {
		delete(e.calls, c.cookie)
	}
	e.report()
	return freed
}

// replay reinstalls the streams of calls the engine has installed on dpid
// whose flows the switch no longer holds, as after a switch restart that
// lost its tables.
func (e *Store) replay(ctx context.Context, dpid uint64, onSwitch []of13.Flow) {
	have := make(map[of13.FlowKey]bool, len(onSwitch))
	for i := range onSwitch {
		have[onSwitch[i].Key()] = true
	}
	for _, c := range e.calls {
		for st := range c.streams(onDP(dpid)) {
			if len(st.flows) == 0 || !qos.IsCallMeter(st.meter) || allPresent(st.flows, have) {
				continue
			}
			_, meter := qos.StreamPlan{Flows: st.flows, MeterKbps: st.kbps}.WithMeter(st.meter)
			b := qos.Batch{MeterAdds: []of13.MeterMod{{Command: of13.ModAdd, Meter: meter}}}
			for _, f := range st.flows {
				b.Flows = append(b.Flows, of13.AddFlow(f))
			}
			if err := e.sw.Apply(ctx, dpid, b); err != nil {
				// The meter may have survived while the flows did not.
				b.MeterAdds[0].Command = of13.ModModify
				if err := e.sw.Apply(ctx, dpid, b); err != nil {
					e.log.Warn("reinstalling call flows failed", "call", c.id, "dp", fmt.Sprintf("%016x", dpid), "err", err)
				}
			}
		}
	}
}

func allPresent(flows []of13.Flow, have map[of13.FlowKey]bool) bool {
	for i := range flows {
		if !have[flows[i].Key()] {
			return false
		}
	}
	return true
}

func dedup(ids []uint32) []uint32 {
	seen := make(map[uint32]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (e *Store) meterIDs(dpid uint64) *meterIDs {
	m := e.meters[dpid]
	if m == nil {
		m = newMeterIDs()
		e.meters[dpid] = m
	}
	return m
}

func (e *Store) fallback(leg qos.Leg, r qos.Reason) {
	e.log.Info("call leg best effort", "server", leg.Server, "call", leg.Call, "leg", leg.ID, "reason", string(r))
	e.obs.Fallback(r)
}

func (e *Store) report() { e.obs.Calls(len(e.calls), e.nflows) }

// reasonOf maps an install error to a fallback reason.
func reasonOf(err error) qos.Reason {
	switch {
	case errors.Is(err, qos.ErrMeterTableFull):
		return qos.ReasonMeterTableFull
	case errors.Is(err, qos.ErrTableFull):
		return qos.ReasonTableFull
	}
	return qos.ReasonFlowModError
}
