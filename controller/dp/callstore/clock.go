package callstore

import "time"

// Clock is the store's time source: when a waiting leg started waiting,
// the install latency, and the timers for retries and for the direct-media
// grace. Tests inject one to step time instead of sleeping.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f on a goroutine of its own after d; stop cancels
	// the call if it has not started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// systemClock is the wall clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
