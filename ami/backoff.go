package ami

import (
	"math/rand/v2"
	"time"
)

// Backoff is a capped exponential backoff with jitter.
type Backoff struct {
	Initial time.Duration // first delay; keep <= 1 s
	Max     time.Duration
	Factor  float64
	Jitter  float64 // fraction, 0.2 = ±20 %
}

// DefaultBackoff returns the client's default backoff for sessions that
// fail once connected (a refused login, a server that drops the session
// soon after it): first retry after about 500 ms, doubling up to 30 s, so
// such a server is not hammered.
func DefaultBackoff() Backoff {
	return Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Factor: 2, Jitter: 0.2}
}

// DefaultConnectBackoff returns the client's default backoff for failed
// connection attempts (refused, unreachable, timed out): about 250 ms,
// doubling up to 1 s. A refused TCP connection costs the server nothing,
// and a low cap means a PBX that comes back after any outage is followed
// again within about a second of accepting connections.
func DefaultConnectBackoff() Backoff {
	return Backoff{Initial: 250 * time.Millisecond, Max: time.Second, Factor: 2, Jitter: 0.2}
}

// DefaultHealthyAfter is how long a logged-in session must last before
// its end resets the session backoff. A server that fails right after each
// login is retried ever more slowly instead of twice a second for ever.
const DefaultHealthyAfter = 30 * time.Second

// Delay returns the wait before retry number attempt (0-based).
func (b Backoff) Delay(attempt int) time.Duration {
	d := float64(b.Initial)
	for i := 0; i < attempt && d < float64(b.Max); i++ {
		d *= b.Factor
	}
	if d > float64(b.Max) {
		d = float64(b.Max)
	}
	if b.Jitter > 0 {
		d *= 1 + b.Jitter*(2*rand.Float64()-1)
	}
	return time.Duration(d)
}
