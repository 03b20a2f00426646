package dp

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

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
// The read is split among the stores (store.go): the DP's own store
// (ownstore.go) gets every flow outside the registered stores' shares and
// the manager's KeepCookies, and its answer, the whole-switch diff, is
// confirmed before each registered store is handed its share of the same
// read.
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
	stores := r.m.registered()
	own, shares := r.m.split(actual, stores)
	if len(r.st.hosts) == 0 {
		r.adoptHosts(own.Flows)
	}
	// The DP's own store first: its verdict is waited for, so that the
	// pipeline is in place (and recorded) before anything else is sent.
	o := ownStore{r: r}
	o.Reconcile(r.id, own, r.commit)
	if o.err != nil {
		return o.err
	}
	if err := r.await(ctx, o.verdict); err != nil {
		return err
	}
	o.record()
	// The same read gives every other store its share, before anything
	// of theirs is sent on this switch.
	r.reconcileStores(stores, shares)
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
