package callstore

import (
	"context"
	"time"

	"github.com/voipsdn/voipsdn/qos"
)

// pendingLeg is a leg waiting to be planned again.
type pendingLeg struct {
	leg      qos.Leg
	known    time.Time
	first    time.Time // when it started waiting
	seq      uint64    // orders waiting legs by when they started waiting
	attempts int
	stop     func() bool // cancels the armed attempt; nil while none is
	// held: out of attempts, the leg waits for a sender behind a
	// controlled port to be located (holdForSender).
	held bool
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
		e.waits++
		p = &pendingLeg{leg: leg, known: known, first: e.Clock.Now(), seq: e.waits}
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

// holdForSender keeps a leg that is out of attempts waiting when a
// sender it waits for is not located but is known to be behind a
// controlled port (qos.Homes): placing that stream at its receiver would
// lose the ingress-port match, so it is planned when Located reports the
// sender, whose first packet through a switch teaches the controller
// where it is. Meanwhile the leg is best effort (counted and logged
// once). It reports whether the leg is held; at most MaxCalls legs are,
// so legs whose end is never reported cannot pile up.
func (e *Store) holdForSender(leg qos.Leg, partly bool) bool {
	p := e.retries[qos.CallCookie(leg.Server, leg.Call)][leg.ID]
	if p == nil || !qos.SenderHomed(leg, e.sw) {
		return false
	}
	if p.held {
		return true
	}
	if e.held >= e.policy.MaxCalls {
		return false
	}
	p.held = true
	e.held++
	e.log.Info("call leg waits for its sender's location", "server", leg.Server, "call", leg.Call, "leg", leg.ID)
	if partly {
		e.log.Info("call leg partly best effort", "server", leg.Server, "call", leg.Call, "leg", leg.ID, "reason", string(qos.ReasonLocationUnknown))
		if e.Outcomes != nil {
			e.Outcomes.BestEffort(leg, e.Clock.Now(), qos.ReasonLocationUnknown)
		}
	} else {
		e.fallback(leg, qos.ReasonLocationUnknown)
	}
	return true
}

func (e *Store) forgetRetry(cookie uint64, leg string) {
	if legs := e.retries[cookie]; legs != nil {
		p := legs[leg]
		if p != nil && p.stop != nil {
			p.stop()
		}
		if p != nil && p.held {
			e.held--
		}
		delete(legs, leg)
		if len(legs) == 0 {
			delete(e.retries, cookie)
		}
	}
}
