package config

import (
	"context"
	"time"
)

// ReloadEvent is the outcome of a reload triggered by Watch.
type ReloadEvent struct {
	Time time.Time
	// Changes is the applied change set; nil when the reload failed.
	Changes *ChangeSet
	// Err lists why the new config was rejected (the running config, if
	// any, stays in force).
	Err error
}

// Watch polls the main config file and every file it includes every
// interval, and reloads when any of them changes content, appears or
// disappears. The first poll reloads if nothing was loaded yet. Each
// reload's outcome is passed to fn (which must not block for long). Watch
// returns when ctx is done; the caller owns the goroutine that runs it:
//
//	go func() { defer wg.Done(); r.Watch(ctx, time.Second, report) }()
func (r *Reloader) Watch(ctx context.Context, interval time.Duration, fn func(ReloadEvent)) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if r.Changed() {
			changes, err := r.Reload(ctx)
			if ctx.Err() != nil {
				return
			}
			if fn != nil {
				fn(ReloadEvent{Time: time.Now(), Changes: changes, Err: err})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
