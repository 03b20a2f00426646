package team

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/controller"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// runDP is one switch's loop: campaign while the instance has a lease and
// is not drained, hold the switch while master, and start over.
func (t *Team) runDP(m *member) {
	defer close(m.done)
	log := t.log.With("dp", m.name, "dpid", m.dpid)
	t.becomeSlave(m, 0)
	for m.ctx.Err() == nil {
		ep, draining, changed := t.st.snapshot()
		if ep == nil || draining {
			select {
			case <-changed.Done():
			case <-m.ctx.Done():
			}
			continue
		}
		rctx, cancel := context.WithCancel(m.ctx)
		stop := context.AfterFunc(changed, cancel)
		if !t.round(rctx, m, ep, log) {
			sleep(rctx, t.ttl/2) // a failed round is not retried at once
		}
		stop()
		cancel()
	}
}

// round is one campaign and, if won, one mastership. It reports false when
// it failed and should be retried after a pause.
func (t *Team) round(ctx context.Context, m *member, ep *epoch, log interface {
	Info(string, ...any)
	Warn(string, ...any)
	Error(string, ...any)
}) bool {
	if d := t.deferFor(ctx, m.dpid); d > 0 {
		sleep(ctx, d)
	}
	if ctx.Err() != nil {
		return true
	}
	el := concurrency.NewElection(ep.sess, masterPrefix(t.cfg.Cluster, m.dpid))
	if err := t.campaign(ctx, el); err != nil {
		if ctx.Err() == nil {
			t.warnEtcd("campaign failed", err)
			return false
		}
		return true
	}
	won := time.Now()
	gen := uint64(el.Rev())
	select {
	case <-m.demoted: // a demotion from before this claim is old news
	default:
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	role, _, err := m.sw.RequestRole(qctx, controller.RoleMaster, gen)
	cancel()
	if err != nil || role != controller.RoleMaster {
		if errors.Is(err, controller.ErrRoleStale) {
			// Only a revision that went back can do this: an etcd
			// restored from an old snapshot, or a new etcd cluster.
			log.Error("elected, but the switch has seen a newer generation id than etcd's revision: was etcd restored or replaced? The switch must be restarted to forget it (docs/cluster.md)", "generation", gen)
		} else {
			log.Error("elected, but the switch refused this instance as master; resigning", "generation", gen, "role", role, "err", err)
		}
		m.sw.Fence()
		t.resign(ctx, el)
		return false
	}
	m.gen.Store(gen)
	m.master.Store(true)
	t.o.Metrics.SetRole(m.dpid, m.name, true)
	t.o.Metrics.Elected(m.dpid, m.name)
	log.Info("team: became master of the switch", "generation", gen)
	t.o.Promote(ctx, m.sw)
	if ctx.Err() == nil {
		t.o.Metrics.Takeover(time.Since(won))
		log.Info("team: switch taken over", "generation", gen, "took", time.Since(won))
	}

	var why string
	select {
	case <-ctx.Done():
		why = t.lossReason(m)
	case <-m.demoted:
		why = "the switch made this instance a slave: another controller claimed it with a newer generation"
	}
	// Writes stop first, then the DP forgets the switch, then etcd hears.
	m.sw.Fence()
	m.master.Store(false)
	t.o.Demote(m.dpid, why)
	t.o.Metrics.SetRole(m.dpid, m.name, false)
	log.Warn("team: no longer master of the switch", "generation", gen, "why", why)
	// Resign before asking the switch for SLAVE: the next master need
	// not wait for this switch's answer (a shutdown may not get one).
	t.resign(ctx, el)
	t.becomeSlave(m, gen)
	return !strings.HasPrefix(why, "the switch made")
}

// campaign is el.Campaign, except that it returns when ctx ends even if
// etcd does not answer. An interrupted Campaign resigns on the etcd
// client's own context, which retries until etcd answers or the client is
// closed: waited for, that would stop an instance cut off from etcd from
// ever shutting down. So the campaign is left to end by itself (its
// goroutine ends at the latest when the team's owner closes the client),
// and should it win after all, it resigns at once.
func (t *Team) campaign(ctx context.Context, el *concurrency.Election) error {
	done := make(chan error)
	abandoned := make(chan struct{})
	go func() {
		err := el.Campaign(ctx, t.cfg.Instance)
		select {
		case done <- err:
		case <-abandoned:
			if err == nil {
				t.resign(ctx, el)
			}
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		close(abandoned)
		return ctx.Err()
	}
}

// lossReason says why a mastership's context ended.
func (t *Team) lossReason(m *member) string {
	switch ep, draining, _ := t.st.snapshot(); {
	case m.ctx.Err() != nil && t.runCtx.Err() != nil:
		return "shutting down"
	case m.ctx.Err() != nil:
		return "switch session ended"
	case draining:
		return "instance drained"
	case ep == nil:
		return "etcd lease not safe"
	}
	return "team state changed"
}

// becomeSlave asks the switch for SLAVE, best effort: a standby then gets
// no packet-ins, and its own fence stands anyway. gen 0 reads the current
// leader's generation from etcd, so the request is not stale.
func (t *Team) becomeSlave(m *member, gen uint64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(m.ctx), t.ttl)
	defer cancel()
	if gen == 0 {
		r, err := t.cl.Get(ctx, masterPrefix(t.cfg.Cluster, m.dpid), clientv3.WithFirstCreate()...)
		if err == nil && len(r.Kvs) > 0 {
			gen = uint64(r.Kvs[0].CreateRevision)
		}
	}
	if _, _, err := m.sw.RequestRole(ctx, controller.RoleSlave, gen); err != nil {
		t.log.Debug("slave role request refused", "dpid", m.dpid, "err", err)
	}
}

// resign gives up the election key so that the next candidate wins at
// once; when etcd cannot be reached the lease's expiry does it.
func (t *Team) resign(ctx context.Context, el *concurrency.Election) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.ttl)
	defer cancel()
	_ = el.Resign(rctx)
}

// deferFor is how long this instance waits before campaigning for dpid:
// its rendezvous rank among the live members times the defer step.
func (t *Team) deferFor(ctx context.Context, dpid uint64) time.Duration {
	gctx, cancel := context.WithTimeout(ctx, t.ttl)
	defer cancel()
	r, err := t.cl.Get(gctx, membersPrefix(t.cfg.Cluster), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return 0
	}
	var ids []string
	for _, kv := range r.Kvs {
		ids = append(ids, strings.TrimPrefix(string(kv.Key), membersPrefix(t.cfg.Cluster)))
	}
	return time.Duration(rank(dpid, t.cfg.Instance, ids)) * t.cfg.deferStep()
}
