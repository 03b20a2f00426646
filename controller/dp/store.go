package dp

import (
	"context"
	"fmt"
	"slices"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Store is a pluggable flow store: a kind of owner whose flows live in its
// own share of the cookie space and reach the switches only through dp.
// Every store has the same contract with a DP:
//
//   - its share (Cookies) is its alone: the pipeline's resync keeps every
//     flow in it, and no other store reads or deletes them;
//   - when a switch connects, the DP reads the switch's flows once and,
//     after reconciling the pipeline with that read, hands each store its
//     share (Reconcile) before anything else of the store's is sent there,
//     so the store adopts what an earlier run left instead of installing
//     a second copy;
//   - the store answers with one change: the replay of what it wants that
//     the switch lacks, and the sweep (strict deletes) of held flows its
//     liveness predicate does not keep (none while its sweep is gated);
//   - every change goes through the DP's group commit (Commit), confirmed
//     by a barrier, the verdict coming back as a callback.
//
// The pipeline's owners (the diff cache) and the learned hosts (the host
// table) are the DP's own store, in every cookie outside the registered
// shares: the whole-switch diff at connect is their adoption, sweep and
// replay in one (sync.go).
type Store interface {
	// Cookies is the store's share of the cookie space.
	Cookies() controller.CookieMask
	// Reconcile hands the store the flows of its share that dpid's
	// switch holds, read when the switch connected or on the store's
	// request (Manager.Reconcile). The store adopts what it keeps and
	// sends, through send, the change that brings the switch to what it
	// wants; send queues it on the DP's group commit and may be called
	// from any goroutine, any number of times. Reconcile is called on
	// the DP's goroutine (at connect) or on the requester's, and must not
	// block: a store that owns its state on its own goroutine hands the
	// work to it.
	Reconcile(dpid uint64, held []of13.Flow, send func(Change, func(error)))
}

// Register adds a store until the returned function is called. Switches
// that connect afterwards hand it its share at connect; for those already
// connected, the store asks (Reconcile) before it installs anything there.
// Its share is kept by every later resync of the pipeline.
func (m *Manager) Register(s Store) (unregister func()) {
	m.mu.Lock()
	m.stores = append(m.stores, s)
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if i := slices.Index(m.stores, s); i >= 0 {
			m.stores = slices.Delete(m.stores, i, i+1)
		}
	}
}

// registered returns the registered stores.
func (m *Manager) registered() []Store {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.stores)
}

// keepCookies is what a pipeline resync must leave alone: the registered
// stores' shares and Options.KeepCookies.
func (m *Manager) keepCookies(stores []Store) []controller.CookieMask {
	keep := slices.Clone(m.opts.KeepCookies)
	for _, s := range stores {
		if c := s.Cookies(); !slices.Contains(keep, c) {
			keep = append(keep, c)
		}
	}
	return keep
}

// Reconcile reads DP dpid's flows (off the DP's goroutine, so a long read
// does not delay it) and hands s its share, as a connect does. A store
// asks for it before its first install on a switch that was connected
// before it registered, and to sweep once its liveness is known.
func (m *Manager) Reconcile(ctx context.Context, dpid uint64, s Store) error {
	r := m.runner(dpid)
	if r == nil {
		return fmt.Errorf("dp %#x: %w", dpid, ErrUnknownDP)
	}
	var sw Switch
	if err := r.do(ctx, func(context.Context) error { sw = r.st.sw; return nil }); err != nil {
		return err
	}
	if sw == nil {
		return fmt.Errorf("dp %#x: %w", dpid, ErrNotConnected)
	}
	c := s.Cookies()
	var held []of13.Flow
	if cr, ok := sw.(cookieReader); ok {
		// One flow-stats request for the share alone.
		fs, err := cr.CookieFlows(ctx, c.Cookie, c.Mask)
		if err != nil {
			return fmt.Errorf("dp %#x: %w", dpid, err)
		}
		held = share(fs, c)
	} else {
		st, err := sw.State(ctx)
		if err != nil {
			return fmt.Errorf("dp %#x: %w", dpid, err)
		}
		held = share(st.Flows, c)
	}
	s.Reconcile(dpid, held, r.commit)
	return nil
}

// cookieReader is implemented by switches that can read the flows of a
// cookie share alone (the session layer's).
type cookieReader interface {
	CookieFlows(ctx context.Context, cookie, mask uint64) ([]of13.Flow, error)
}

// reconcileStores hands every registered store its share of flows, the
// switch's content read at connect. It runs on the DP's goroutine.
func (r *runner) reconcileStores(stores []Store, flows []of13.Flow) {
	for _, s := range stores {
		s.Reconcile(r.id, share(flows, s.Cookies()), r.commit)
	}
}

// share returns the flows whose cookie is in c.
func share(flows []of13.Flow, c controller.CookieMask) []of13.Flow {
	var out []of13.Flow
	for i := range flows {
		if c.Matches(flows[i].Cookie) {
			out = append(out, flows[i])
		}
	}
	return out
}

// Sweep returns strict deletes of the held flows that live does not keep:
// the sweep half of a store's answer to Reconcile.
func Sweep(held []of13.Flow, live func(*of13.Flow) bool) []of13.Message {
	var out []of13.Message
	for i := range held {
		if !live(&held[i]) {
			out = append(out, of13.DeleteStrict(held[i]))
		}
	}
	return out
}

// Missing returns the flows of want the switch does not hold (by key): the
// replay half of a store's answer to Reconcile.
func Missing(held, want []of13.Flow) []of13.Flow {
	have := make(map[of13.FlowKey]bool, len(held))
	for i := range held {
		have[held[i].Key()] = true
	}
	var out []of13.Flow
	for i := range want {
		if !have[want[i].Key()] {
			out = append(out, want[i])
		}
	}
	return out
}
