package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// Reload loads the configuration again and applies it if it is valid. It
// returns the load or apply error; the running configuration then stays.
func (a *App) Reload(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case a.reloads <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watch serialises reloads: requested ones, and polled ones when the files
// change (always while no valid configuration is loaded, so a controller
// started with a broken file recovers by itself).
func (a *App) watch(ctx context.Context) {
	interval := a.opts.Watch
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case done := <-a.reloads:
			done <- a.reload(ctx)
		case <-t.C:
			if (a.opts.Watch > 0 || a.reloader.Current() == nil) && a.reloader.Changed() {
				_ = a.reload(ctx)
			}
		}
	}
}

// reload runs one reload and records its outcome.
func (a *App) reload(ctx context.Context) error {
	start := time.Now()
	_, err := a.reloader.Reload(ctx)
	a.mu.Lock()
	a.lastErr = err
	a.mu.Unlock()
	a.cfgState.record(a.reloader.Current(), err)
	if err != nil {
		running := a.reloader.Current() != nil
		a.log.Error("configuration rejected", "config", a.opts.ConfigPath, "running_config_kept", running,
			"errors", errorLines(err))
		return err
	}
	a.log.Info("configuration in force", "config", a.opts.ConfigPath, "took", time.Since(start))
	return nil
}

// apply installs a validated configuration; it is the Reloader's ApplyFunc.
// It is all or nothing: everything is checked and built first (features
// voipsdn does not program yet, the voice service, every DP's program),
// then swapped in. Any failure leaves the running state as it was, and the
// returned error, which the Reloader records and logs, says why.
func (a *App) apply(ctx context.Context, _, cfg *config.Config, changes *config.ChangeSet) error {
	if us := cfg.Unsupported(); len(us) > 0 {
		errs := make([]error, len(us))
		for i, u := range us {
			errs[i] = unsupportedError(u)
		}
		return errors.Join(errs...)
	}
	commitVoice, err := a.prepareVoice(cfg, changes)
	if err != nil {
		return fmt.Errorf("voice service cannot start: %w", err)
	}
	// SetConfig is itself all or nothing across the DPs.
	if err := a.mgr.SetConfig(ctx, cfg); err != nil {
		return err
	}
	warnSecretFiles(a.log, cfg)
	commitVoice(ctx)
	return nil
}

// unsupportedError renders "not supported yet: 802.1X at dps.sw1.dot1x
// (faucet.yaml:12:5)".
func unsupportedError(e config.Error) error {
	loc := e.Pos.File
	if e.Pos.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.Pos.File, e.Pos.Line, e.Pos.Col)
	}
	return fmt.Errorf("%s at %s (%s)", e.Msg, e.Pos.Path, loc)
}

// errorLines splits an error into its lines, so each configuration problem
// is one element of the log record.
func errorLines(err error) []string {
	var es config.Errors
	if errors.As(err, &es) {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Error()
		}
		return out
	}
	return strings.Split(err.Error(), "\n")
}
