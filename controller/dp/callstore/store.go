package callstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

// Store installs and removes per-call flows as calls come and go. One
// goroutine, started by Run, owns all its state; the exported methods queue
// work for it and are safe for concurrent use.
type Store struct {
	policy *config.QoS
	sw     Switches
	obs    qos.Observer
	log    *slog.Logger
	reqs   chan func(context.Context)
	// in holds what dp hands the store: verdicts and reads (commit.go).
	in inbox

	calls  map[uint64]*call
	meters map[uint64]*meterIDs
	// retries holds legs waiting to be planned again because their
	// endpoints were not located yet or their switch was down, by call
	// cookie and leg id.
	retries map[uint64]map[string]*pendingLeg
	// held counts the legs in retries held for a sender's location.
	held int
	// waits numbers the legs that start waiting, so that they are planned
	// again in that order.
	waits uint64
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
	// Generation is put in the cookie of every flow this store installs
	// (qos.CookieGen), so that among the per-call flows a switch holds it
	// tells its own from those an earlier run left. New picks it at random
	// among the 65,535 non-zero values (0 is qos.CallCookie's); set before
	// Run.
	Generation uint16
	// Clock is the time source of the waits above (set before Run).
	Clock Clock
	// Outcomes, if set (before Run), hears where each leg's flows went
	// or why it is best effort; nil costs nothing per leg.
	Outcomes Outcomes

	// scans records, per datapath, whether its per-call flows have been
	// read (true) or are being read (false) since the engine started;
	// scanning counts the reads under way. Until a datapath has been read
	// the engine installs nothing, so that it adopts the flows a previous
	// run left rather than install a second copy.
	scans    map[uint64]bool
	scanning int
	// sweeps holds, per datapath, the sweeps waiting for dp's read.
	sweeps map[uint64][]sweepReq

	// inflight counts the batches sent and the reads asked for whose
	// answer the store goroutine has not handled yet.
	inflight atomic.Int64
	// adding counts, per datapath and meter, the meter adds sent whose
	// verdict the store goroutine has not handled yet: a read of the
	// switch answered before that verdict may not show them, and a
	// replay must not send them again (remove.go).
	adding map[uint64]map[uint32]int
	// added holds, per datapath with a sweep waiting, the meters whose
	// add got its verdict since the sweep asked for its read: the read may
	// have been answered before they reached the switch, too.
	added map[uint64]map[uint32]bool
	// nflows counts the per-call flows installed, kept as they change so
	// that reporting costs nothing per call.
	nflows int
	wg     sync.WaitGroup
}

// New returns an engine for policy. Call Run to start it.
func New(policy *config.QoS, sw Switches, obs qos.Observer, log *slog.Logger) *Store {
	return &Store{
		policy: policy, sw: sw, obs: obs, log: log.With("component", "qos"),
		reqs:    make(chan func(context.Context), 4096),
		calls:   make(map[uint64]*call),
		meters:  make(map[uint64]*meterIDs),
		retries: make(map[uint64]map[string]*pendingLeg),
		in:      inbox{kick: make(chan struct{}, 1)},
		sweeps:  make(map[uint64][]sweepReq),
		adding:  make(map[uint64]map[uint32]int),
		added:   make(map[uint64]map[uint32]bool),
		// A host's address is learned from its ARP or ND (or a probe's
		// answer) and a switch reconnects within a second or two: retry
		// soon, then every second, for about 10 s in all.
		RetryDelay: 200 * time.Millisecond, Retries: 12, SenderWait: time.Second,
		DirectGrace: 3 * time.Second, Clock: systemClock{},
		Generation: uint16(rand.N(0xffff)) + 1,
		scans:      make(map[uint64]bool),
	}
}

// Run processes requests until ctx ends, then waits for the reads it
// started. What dp handed back (verdicts, reads) goes first.
func (e *Store) Run(ctx context.Context) {
	defer e.wg.Wait()
	for {
		if fs := e.takeInbox(); fs != nil {
			for _, f := range fs {
				f(ctx)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case f := <-e.reqs:
			f(ctx)
		case <-e.in.kick:
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
// engine knows are live, once the call sources have resynced (the
// service's gate): dp reads the switch's per-call flows and hands them to
// Reconcile, which adopts the flows of live calls (their meters marked in
// use), replays the streams the switch lost and deletes all others. live
// reports whether a call cookie belongs to a live call that the engine
// should keep; nil means "only calls the engine installed". Sweep returns
// once the switch has confirmed the deletes.
func (e *Store) Sweep(ctx context.Context, dpid uint64, live func(cookie uint64) bool) error {
	req := sweepReq{live: live, done: make(chan error, 1)}
	// Posted, like the read's answer, so the answer finds it.
	e.post(func(context.Context) { e.sweeps[dpid] = append(e.sweeps[dpid], req) })
	if err := e.sw.Reconcile(ctx, dpid, e); err != nil {
		e.post(func(context.Context) {
			e.sweeps[dpid] = slices.DeleteFunc(e.sweeps[dpid], func(r sweepReq) bool { return r.done == req.done })
			if len(e.sweeps[dpid]) == 0 {
				delete(e.sweeps, dpid)
				delete(e.added, dpid)
			}
		})
		return fmt.Errorf("qos: sweep dp %016x: %w", dpid, err)
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sweepReq is a Sweep waiting for dp's read of its datapath.
type sweepReq struct {
	live func(cookie uint64) bool
	done chan error
}

// keep records a call that has at least one installed leg.
func (e *Store) keep(c *call) {
	if !c.empty() {
		e.calls[c.cookie] = c
	}
	e.report()
}

func dpName(dpid uint64) string { return fmt.Sprintf("%016x", dpid) }

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
	if e.Outcomes != nil {
		e.Outcomes.BestEffort(leg, e.Clock.Now(), r)
	}
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
