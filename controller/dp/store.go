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
//   - its share (Cookies) is its alone: no other store reads or deletes
//     its flows, nor the meters and groups they use;
//   - when a switch connects, the DP reads the switch once and hands each
//     store its share of that read (Reconcile) before anything else of the
//     store's is sent there, so the store adopts what an earlier run left
//     instead of installing a second copy;
//   - the store answers with one change: the replay of what it wants that
//     the switch lacks, and the deletes of what it holds there and does
//     not want (for the per-call store, what its liveness predicate does
//     not keep; none while its sweep is gated);
//   - every change goes through the DP's group commit (send, which is
//     Commit), confirmed by a barrier, the verdict coming back as a
//     callback.
//
// The DP's own store (ownstore.go) keeps the pipeline's owners in the diff
// cache and the learned hosts in the host table. Its share is every cookie
// the registered stores and Options.KeepCookies leave; it is handed its
// share first, and its answer is the whole-switch diff.
type Store interface {
	// Cookies is the store's share of the cookie space.
	Cookies() controller.CookieMask
	// Reconcile hands the store what dpid's switch holds of its share:
	// the flows, and the meters and groups they use (controller.Share),
	// read when the switch connected or on the store's request
	// (Manager.Reconcile, which reads the flows alone). The store adopts
	// what it keeps and sends, through send, the change that brings the
	// switch to what it wants; send queues it on the DP's group commit and
	// may be called from any goroutine, any number of times. Reconcile is
	// called on the DP's goroutine (at connect) or on the requester's, and
	// must not block: a store that owns its state on its own goroutine
	// hands the work to it.
	Reconcile(dpid uint64, held State, send func(Change, func(error)))
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
	var held State
	if cr, ok := sw.(cookieReader); ok {
		// One flow-stats request for the share's flows alone.
		fs, err := cr.CookieFlows(ctx, c.Cookie, c.Mask)
		if err != nil {
			return fmt.Errorf("dp %#x: %w", dpid, err)
		}
		held, _ = controller.Share(State{Flows: fs}, c.Matches)
	} else {
		st, err := sw.State(ctx)
		if err != nil {
			return fmt.Errorf("dp %#x: %w", dpid, err)
		}
		held, _ = controller.Share(st, c.Matches)
	}
	s.Reconcile(dpid, held, r.commit)
	return nil
}

// cookieReader is implemented by switches that can read the flows of a
// cookie share alone (the session layer's).
type cookieReader interface {
	CookieFlows(ctx context.Context, cookie, mask uint64) ([]of13.Flow, error)
}

// split divides what a switch holds among the stores: each registered
// store's share (in stores' order), and the rest, which is the DP's own
// store's once Options.KeepCookies are taken out of it.
func (m *Manager) split(st State, stores []Store) (own State, shares []State) {
	own = st
	shares = make([]State, len(stores))
	for i, s := range stores {
		shares[i], own = controller.Share(own, s.Cookies().Matches)
	}
	if keep := m.opts.KeepCookies; len(keep) > 0 {
		_, own = controller.Share(own, func(cookie uint64) bool {
			return slices.ContainsFunc(keep, func(c controller.CookieMask) bool { return c.Matches(cookie) })
		})
	}
	return own, shares
}

// reconcileStores hands every registered store its share of what the
// switch held at connect. It runs on the DP's goroutine.
func (r *runner) reconcileStores(stores []Store, shares []State) {
	for i, s := range stores {
		s.Reconcile(r.id, shares[i], r.commit)
	}
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
