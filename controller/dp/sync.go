package dp

import (
	"context"
	"fmt"
	"time"

	"github.com/voipsdn/voipsdn/controller"
)

// ownerMeters owns the program's meters and groups in the cache.
const ownerMeters = "meters"

// connect makes sw the DP's switch and reconciles it with the desired state.
func (r *runner) connect(ctx context.Context, sw Switch) error {
	if old := r.st.sw; old != nil && old != sw {
		r.log.Info("switch reconnected; dropping the old session")
		_ = old.Close()
	}
	r.st.sw = sw
	r.ctr.connected.Store(true)
	return r.resync(ctx)
}

// disconnect forgets the DP's switch. The session layer ends an old
// session before it announces a new one, so the switch being forgotten is
// always the current one.
func (r *runner) disconnect() {
	r.st.sw = nil
	r.ctr.connected.Store(false)
}

// resync reconciles the whole switch: it reads the switch's flows, meters and
// groups and sends only what differs from the desired state, so flows that
// are still wanted are never deleted and keep their counters.
//
// The DP owns the flows whose cookie is the DP's or any cookie its desired
// flows carry (ACL rules may have their own, ApplyOwner flows theirs).
// Flows with other cookies belong to someone else (per-call flows) and are
// left alone, and so are the meters and groups those flows use.
func (r *runner) resync(ctx context.Context) error {
	if r.st.sw == nil {
		return nil
	}
	start := time.Now()
	err := r.resyncOnce(ctx)
	r.ctr.lastSync.Store(int64(time.Since(start)))
	if err != nil {
		r.ctr.syncErrors.Add(1)
		r.st.dirty = true
		return err
	}
	r.ctr.syncs.Add(1)
	r.st.dirty = false
	r.log.Info("switch in sync", "flows", r.ctr.flows.Load(), "took", time.Since(start))
	return nil
}

func (r *runner) resyncOnce(ctx context.Context) error {
	prog, err := r.compile()
	if err != nil {
		return err
	}
	owners := make(map[string]controller.State, len(prog.Flows)+len(r.st.extra)+1)
	for o, fs := range prog.Flows {
		owners[o] = controller.State{Flows: fs}
	}
	for o, fs := range r.st.extra {
		owners[extraPrefix+o] = controller.State{Flows: fs}
	}
	owners[ownerMeters] = controller.State{Meters: prog.Meters, Groups: prog.Groups}

	desired := controller.State{Meters: prog.Meters, Groups: prog.Groups}
	owned := map[uint64]bool{r.st.dp.Cookie: true}
	for _, s := range owners {
		desired.Flows = append(desired.Flows, s.Flows...)
		for i := range s.Flows {
			owned[s.Flows[i].Cookie] = true
		}
	}
	opts := controller.DiffOptions{OwnsMeter: controller.AnyID, OwnsGroup: controller.AnyID}
	for c := range owned {
		opts.Owned = append(opts.Owned, controller.CookieMask{Cookie: c, Mask: ^uint64(0)})
	}

	rctx, cancel := context.WithTimeout(ctx, r.m.opts.SyncTimeout)
	actual, err := r.st.sw.State(rctx)
	cancel()
	if err != nil {
		return fmt.Errorf("dp %s: read switch state: %w", r.st.dp.Name, err)
	}
	plan := controller.Diff(desired, actual, opts)
	if err := r.sendPlan(ctx, plan); err != nil {
		return err
	}

	// The switch now holds the desired state: record it per owner.
	r.st.cache = controller.NewCache()
	r.st.counts = make(map[string]int, len(owners))
	total := 0
	for o, s := range owners {
		r.st.cache.SetState(o, s)
		r.st.cache.Commit(o)
		if len(s.Flows) > 0 {
			r.st.counts[o] = len(s.Flows)
			total += len(s.Flows)
		}
	}
	r.ctr.flows.Store(int64(total))
	return nil
}
