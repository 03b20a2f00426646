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
