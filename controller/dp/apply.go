package dp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// SetConfig makes cfg the running configuration, all or nothing: DPs that
// appeared start, DPs that went away stop (their switches are closed), and
// DPs whose configuration changed are reconfigured in place without
// disconnecting their switches.
//
// It runs in two phases. First every DP compiles its new program: a new
// DP from the configuration alone, a running one on its own goroutine from
// the configuration and what it has learned, and the running one then
// holds, so nothing it learns can invalidate the program it compiled.
// Only when every DP has compiled does the second phase swap: the
// configuration is recorded, DPs start and stop, and each held DP installs
// the program it compiled. If any DP fails to compile, or ctx ends first,
// nothing has changed and the error says which DP and why. The hold lasts
// as long as the slowest DP's compile; packet-ins queue meanwhile.
func (m *Manager) SetConfig(ctx context.Context, cfg *config.Config) error {
	select {
	case <-m.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	q := qosOf(cfg)

	// Phase 1: compile. Running DPs keep serving until they are asked.
	m.mu.RLock()
	type change struct {
		h     *dpHandle
		d     *config.DP
		ready chan error // the DP's compile verdict, once
	}
	var changes []change
	var added []*config.DP
	want := map[uint64]bool{}
	for _, d := range cfg.DPs {
		want[d.ID] = true
		if h, ok := m.dps[d.ID]; ok {
			changes = append(changes, change{h: h, d: d, ready: make(chan error, 1)})
		} else {
			added = append(added, d)
		}
	}
	m.mu.RUnlock()
	for _, d := range added {
		if _, err := compileDP(d, nil, qosFor(q, d)); err != nil {
			return err
		}
	}
	commit, abort := make(chan struct{}), make(chan struct{})
	committed := false
	var held sync.WaitGroup
	applyErrs := make([]error, len(changes))
	defer func() {
		if !committed {
			close(abort)
		}
		held.Wait()
	}()
	for i, c := range changes {
		held.Go(func() {
			err := c.h.r.do(ctx, func(rctx context.Context) error {
				p, err := c.h.r.prepare(c.d, qosFor(q, c.d))
				c.ready <- err
				if err != nil {
					return nil
				}
				select {
				case <-commit:
					applyErrs[i] = c.h.r.reconfigure(rctx, c.d, qosFor(q, c.d), p)
				case <-abort:
				case <-ctx.Done():
				}
				return nil
			})
			if err != nil {
				select {
				case c.ready <- err: // the request never ran
				default:
				}
			}
		})
	}
	var errs []error
	for _, c := range changes {
		if err := <-c.ready; err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("configuration not applied, the running one stays: %w", err)
	}

	// Phase 2: swap.
	m.mu.Lock()
	m.cfg = cfg
	m.stack.configure(cfg)
	var started, stopped []*dpHandle
	for _, d := range added {
		started = append(started, m.startLocked(d, qosFor(q, d)))
	}
	for id, h := range m.dps {
		if !want[id] {
			delete(m.dps, id)
			stopped = append(stopped, h)
		}
	}
	m.mu.Unlock()
	committed = true
	close(commit)
	held.Wait()

	for _, h := range stopped {
		m.log.Info("dp removed from configuration", "dpid", fmt.Sprintf("%#x", h.r.id))
		_ = h.r.do(ctx, func(context.Context) error {
			if h.r.st.sw != nil {
				_ = h.r.st.sw.Close()
			}
			return nil
		})
		h.cancel()
		<-h.r.done
		m.opts.Events.DPRemoved(h.r.id, h.r.cfg.Load().Name)
	}
	for _, h := range started {
		m.log.Info("dp added", "dp", h.r.st.dp.Name, "dpid", fmt.Sprintf("%#x", h.r.id))
	}
	// Installing a compiled program fails only if the DP stopped meanwhile
	// (the switch's own refusals are logged and repaired on reconnect).
	return errors.Join(applyErrs...)
}
