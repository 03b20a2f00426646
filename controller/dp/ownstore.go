package dp

import (
	"github.com/voipsdn/voipsdn/controller"
)

// ownerMeters owns the program's meters and groups in the cache.
const ownerMeters = "meters"

// ownStore is the DP's own store: the pipeline's owners (the diff cache,
// controller.Cache) and the learned hosts (the host table, hostflows.go).
// It keeps the Store contract like any other store, with three
// differences that come from owning the pipeline: its share is every
// cookie the registered stores and Options.KeepCookies leave, so it
// deletes what it does not want there, as Faucet does at cold start (with
// the DP's keep_foreign_flows, only the DP's cookie and the cookies its
// desired flows carry); it is handed its share first; and its DP waits for
// its verdict before it records the owners, because packet-ins and the
// other stores build on a pipeline that is in place.
//
// An ownStore lives for one reconciliation, on the DP's goroutine, which
// owns everything it touches.
type ownStore struct {
	r *runner
	// err is set when Reconcile could not compile the program: nothing
	// was sent.
	err error
	// verdict gets the switch's verdict on the change Reconcile sent.
	verdict chan error
	// owners is the desired state per owner, recorded once confirmed.
	owners map[string]controller.State
}

var _ Store = (*ownStore)(nil)

// Cookies implements Store: every cookie, less the other stores' shares,
// which the DP takes out before it hands over the rest (Manager.split).
func (o *ownStore) Cookies() controller.CookieMask { return controller.CookieMask{} }

// Reconcile implements Store: it diffs the switch's share against the
// whole desired state (the compiled program, the learned hosts, the
// ApplyOwner flows) and sends the difference as one change in a group of
// its own, its phases kept apart by barriers.
func (o *ownStore) Reconcile(_ uint64, held State, send func(Change, func(error))) {
	r := o.r
	prog, err := r.compile()
	if err != nil {
		o.err = err
		return
	}
	owners := make(map[string]controller.State, len(prog.Flows)+len(r.st.extra)+1)
	for name, fs := range prog.Flows {
		owners[name] = controller.State{Flows: fs}
	}
	for name, fs := range r.st.extra {
		owners[extraPrefix+name] = controller.State{Flows: fs}
	}
	owners[ownerMeters] = controller.State{Meters: prog.Meters, Groups: prog.Groups}
	o.owners = owners

	desired := controller.State{Meters: prog.Meters, Groups: prog.Groups}
	owned := map[uint64]bool{r.st.dp.Cookie: true}
	for _, s := range owners {
		desired.Flows = append(desired.Flows, s.Flows...)
		for i := range s.Flows {
			owned[s.Flows[i].Cookie] = true
		}
	}
	opts := controller.DiffOptions{OwnsMeter: controller.AnyID, OwnsGroup: controller.AnyID}
	if r.st.dp.KeepForeignFlows {
		// A switch shared with another controller: only our cookies.
		for c := range owned {
			opts.Owned = append(opts.Owned, controller.CookieMask{Cookie: c, Mask: ^uint64(0)})
		}
	} else {
		// We own the tables, as Faucet does at cold start: a stale foreign
		// flow could bypass every ACL on a fail_mode=secure switch.
		opts.Owned = []controller.CookieMask{{}}
	}
	c := changeOf(controller.Diff(desired, held, opts))
	c.Alone = true
	o.verdict = make(chan error, 1)
	if c.Empty() {
		o.verdict <- nil // in sync already: no round trip
		return
	}
	send(c, func(err error) { o.verdict <- err })
}

// record makes the confirmed desired state the DP's record: the learned
// hosts in the host table, every other owner in a new cache.
func (o *ownStore) record() {
	r := o.r
	r.st.cache = controller.NewCache()
	r.st.counts = make(map[string]int, len(o.owners))
	total := 0
	for name := range r.st.hosts {
		if _, ok := o.owners[name]; !ok {
			r.forgetHost(name)
		}
	}
	for name, s := range o.owners {
		if isHostOwner(name) {
			h := r.st.hosts[name]
			if h == nil {
				h = &hostEntry{}
				r.st.hosts[name] = h
			}
			h.flows = s.Flows
			total += len(s.Flows)
			continue
		}
		r.st.cache.SetState(name, s)
		r.st.cache.Commit(name)
		if len(s.Flows) > 0 {
			r.st.counts[name] = len(s.Flows)
			total += len(s.Flows)
		}
	}
	r.ctr.flows.Store(int64(total))
}
