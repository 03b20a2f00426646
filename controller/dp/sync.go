package dp

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
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
	r.m.opts.Events.Connected(r.id)
	if p, ok := sw.(porter); ok {
		r.lacpReset(portsUp(p.Ports()))
	}
	err := r.resync(ctx)
	r.publishSwitch(ctx, sw)
	r.lacpAdvertise(ctx, r.m.opts.Clock.Now(), true)
	return err
}

// disconnect forgets the DP's switch. The session layer ends an old
// session before it announces a new one, so the switch being forgotten is
// always the current one.
func (r *runner) disconnect() {
	if r.st.sw != nil {
		r.m.opts.Events.Disconnected(r.id)
	}
	r.st.sw = nil
	r.lacpReset(nil)
	r.publishSwitch(context.Background(), nil)
	r.ctr.connected.Store(false)
}

// resync reconciles the whole switch: it reads the switch's flows, meters and
// groups and sends only what differs from the desired state, so flows that
// are still wanted are never deleted and keep their counters.
//
// The DP owns every flow on the switch except those in a registered
// store's share and the manager's KeepCookies (per-call voice flows, which
// their store adopts or removes; store.go), and hands each store its share
// of the same read once the pipeline is in sync. It deletes what it does
// not want, as Faucet does at cold start. With the
// DP's keep_foreign_flows it owns only the DP's cookie and the cookies its
// desired flows carry (ACL rules may have their own, ApplyOwner flows
// theirs); other flows, and the meters and groups they use, stay.
func (r *runner) resync(ctx context.Context) error {
	if r.st.sw == nil {
		return nil
	}
	start := time.Now()
	// What the switch refused before is read back below.
	r.asyncFailed.Store(false)
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
	rctx, cancel := context.WithTimeout(ctx, r.m.opts.SyncTimeout)
	actual, err := r.st.sw.State(rctx)
	cancel()
	if err != nil {
		return fmt.Errorf("dp %s: read switch state: %w", r.st.dp.Name, err)
	}
	if len(r.st.hosts) == 0 {
		r.adoptHosts(actual.Flows)
	}
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
	stores := r.m.registered()
	opts := controller.DiffOptions{OwnsMeter: controller.AnyID, OwnsGroup: controller.AnyID,
		Keep: r.m.keepCookies(stores)}
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

	plan := controller.Diff(desired, actual, opts)
	if err := r.sendPlan(ctx, plan); err != nil {
		return err
	}

	// The switch now holds the desired state: record it per owner, the
	// learned hosts in the host table and the rest in a new cache.
	r.st.cache = controller.NewCache()
	r.st.counts = make(map[string]int, len(owners))
	total := 0
	for o := range r.st.hosts {
		if _, ok := owners[o]; !ok {
			r.forgetHost(o)
		}
	}
	for o, s := range owners {
		if isHostOwner(o) {
			h := r.st.hosts[o]
			if h == nil {
				h = &hostEntry{}
				r.st.hosts[o] = h
			}
			h.flows = s.Flows
			total += len(s.Flows)
			continue
		}
		r.st.cache.SetState(o, s)
		r.st.cache.Commit(o)
		if len(s.Flows) > 0 {
			r.st.counts[o] = len(s.Flows)
			total += len(s.Flows)
		}
	}
	r.ctr.flows.Store(int64(total))
	// The same read gives every other store its share, before anything
	// of theirs is sent on this switch.
	r.reconcileStores(stores, actual.Flows)
	return nil
}

// adoptHosts relearns the hosts whose learning flows a switch still holds
// when the DP knows none (the controller restarted): their flows stay in
// place instead of being deleted and relearned, and they are located at
// once.
func (r *runner) adoptHosts(flows []of13.Flow) {
	prog, err := r.compile()
	if err != nil {
		return
	}
	tid, ok := prog.Tables.ID(pipeline.TableEthSrc)
	if !ok {
		return
	}
	now := r.m.opts.Clock.Now()
	n := 0
	for i := range flows {
		f := &flows[i]
		if f.Table != tid || f.Cookie != r.st.dp.Cookie || !f.Instr.HasGoto {
			continue
		}
		port, ok1 := f.Match.Get(of13.FieldInPort)
		vlan, ok2 := f.Match.Get(of13.FieldVlanVID)
		src, ok3 := f.Match.Get(of13.FieldEthSrc)
		if !ok1 || !ok2 || !ok3 || len(f.Match) != 3 || src.Masked || vlan.Masked {
			continue
		}
		pk := packetIn{inPort: uint32(port.Uint()), vid: uint16(vlan.Uint()) &^ of13.OXMVlanPresent,
			src: net.HardwareAddr(append([]byte(nil), src.Bytes()...))}
		var b batch
		r.learn(now, pk, &b)
		n++
	}
	if n > 0 {
		r.log.Info("adopted hosts learned before a restart", "hosts", len(r.st.hosts))
	}
}
