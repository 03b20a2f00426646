package team

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// epoch is the life of one lease: campaigns run on its session until it
// ends. over is closed when the instance can no longer be sure the lease
// is alive; every master on it must have stopped writing by then.
type epoch struct {
	id   clientv3.LeaseID
	sess *concurrency.Session
	over chan struct{}
}

// state is what the DP loops follow: the current epoch and whether the
// instance is drained. changed ends (and is replaced) at every change,
// and every change ends every campaign and mastership: none can happen
// while an instance holds a DP with a valid lease except its end.
type state struct {
	mu       sync.Mutex
	ep       *epoch
	draining bool
	changed  context.Context // ends at the next change
	cancel   context.CancelFunc
}

func newState() *state {
	s := &state{}
	s.changed, s.cancel = context.WithCancel(context.Background())
	return s
}

func (s *state) snapshot() (*epoch, bool, context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ep, s.draining, s.changed
}

func (s *state) update(f func()) {
	s.mu.Lock()
	f()
	s.cancel()
	s.changed, s.cancel = context.WithCancel(context.Background())
	s.mu.Unlock()
}

// keepLease grants the instance's lease, registers the member, keeps the
// lease alive and ends its epoch the moment it cannot prove it alive; then
// it starts over. It returns when ctx ends, after revoking the lease (the
// DP loops have stopped by then, so the others need not wait out the TTL).
func (t *Team) keepLease(ctx context.Context) {
	backoff := t.ttl / 2
	for ctx.Err() == nil {
		ep, sent, err := t.grant(ctx)
		if err != nil {
			if ctx.Err() == nil {
				t.warnEtcd("cannot get an etcd lease; not campaigning", err)
				sleep(ctx, backoff)
			}
			continue
		}
		t.etcdOK()
		t.st.update(func() { t.st.ep = ep })
		t.log.Info("team lease granted", "lease", int64(ep.id), "ttl", t.ttl)
		why := t.watchLease(ctx, ep, sent)
		t.st.update(func() { t.st.ep = nil; close(ep.over) })
		if ctx.Err() == nil {
			t.log.Warn("team lease no longer safe; stopped writing to every switch this instance was master of", "why", why)
		}
		ep.sess.Orphan()
		// Revoke so that the others can take over at once if etcd
		// answers; else the lease expires by itself.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.ttl)
		_, _ = t.cl.Revoke(rctx, ep.id)
		cancel()
	}
}

// grant takes a new lease and registers the member on it. sent is when the
// grant was sent: the lease cannot expire on the server before sent + TTL.
func (t *Team) grant(ctx context.Context) (*epoch, time.Time, error) {
	gctx, cancel := context.WithTimeout(ctx, 2*t.ttl)
	defer cancel()
	sent := time.Now()
	g, err := t.cl.Grant(gctx, int64((t.ttl+time.Second-1)/time.Second))
	if err != nil {
		return nil, sent, err
	}
	if _, err := t.cl.Put(gctx, memberKey(t.cfg.Cluster, t.cfg.Instance), time.Now().UTC().Format(time.RFC3339), clientv3.WithLease(g.ID)); err != nil {
		_, _ = t.cl.Revoke(gctx, g.ID)
		return nil, sent, err
	}
	rec := instanceRecord{Lease: int64(g.ID)}
	if t.lk != nil {
		rec.Addr = t.lk.addr
	}
	b, _ := json.Marshal(rec)
	if _, err := t.cl.Put(gctx, instanceKey(t.cfg.Cluster, t.cfg.Instance), string(b), clientv3.WithLease(g.ID)); err != nil {
		_, _ = t.cl.Revoke(gctx, g.ID)
		return nil, sent, err
	}
	sess, err := concurrency.NewSession(t.cl, concurrency.WithLease(g.ID), concurrency.WithContext(ctx))
	if err != nil {
		_, _ = t.cl.Revoke(gctx, g.ID)
		return nil, sent, err
	}
	return &epoch{id: g.ID, sess: sess, over: make(chan struct{})}, sent, nil
}

// fenceAfter is how long, as a share of the TTL, the instance trusts its
// lease after sending the last keepalive etcd answered. The server cannot
// expire the lease before TTL after that keepalive was sent (a new etcd
// leader extends leases, never shortens them), so fencing at 2/3 of the
// TTL leaves a third of it between the old master's last write and the
// earliest moment another instance can win. It must also exceed etcd's own
// leader election time, or an etcd leader change fences every master
// (docs/cluster.md).
func (t *Team) fenceAfter() time.Duration { return t.ttl * 2 / 3 }

// watchLease probes the lease every TTL/5 and returns why it stopped
// trusting it: no probe sent in the last fenceAfter was answered, the lease
// is gone, or ctx ended.
func (t *Team) watchLease(ctx context.Context, ep *epoch, lastOK time.Time) string {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	oks := make(chan time.Time, 1)
	gone := make(chan error, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		tick := time.NewTicker(t.ttl / 5)
		defer tick.Stop()
		for {
			sent := time.Now()
			kctx, kcancel := context.WithTimeout(pctx, t.ttl/5)
			_, err := t.cl.KeepAliveOnce(kctx, ep.id)
			kcancel()
			switch {
			case err == nil:
				select {
				case <-oks:
				default:
				}
				oks <- sent
			case errors.Is(err, rpctypes.ErrLeaseNotFound):
				gone <- err
				return
			}
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	safe := time.NewTimer(time.Until(lastOK.Add(t.fenceAfter())))
	defer safe.Stop()
	for {
		select {
		case <-ctx.Done():
			return "shutting down"
		case <-ep.sess.Done():
			return "the etcd session ended"
		case err := <-gone:
			return "the lease expired on the server: " + err.Error()
		case <-safe.C:
			return "no keepalive answered by etcd for 2/3 of the lease TTL"
		case s := <-oks:
			if s.After(lastOK) {
				lastOK = s
				safe.Reset(time.Until(lastOK.Add(t.fenceAfter())))
			}
			t.etcdOK()
		}
	}
}

// watchDrain follows this instance's drain key.
func (t *Team) watchDrain(ctx context.Context) {
	key := drainKey(t.cfg.Cluster, t.cfg.Instance)
	for ctx.Err() == nil {
		r, err := t.cl.Get(ctx, key)
		if err != nil {
			sleep(ctx, t.ttl)
			continue
		}
		t.setDraining(len(r.Kvs) > 0)
		wch := t.cl.Watch(clientv3.WithRequireLeader(ctx), key, clientv3.WithRev(r.Header.Revision+1))
		for wr := range wch {
			if wr.Err() != nil {
				break
			}
			for _, ev := range wr.Events {
				t.setDraining(ev.Type == clientv3.EventTypePut)
			}
		}
		sleep(ctx, t.ttl/2)
	}
}

func (t *Team) setDraining(d bool) {
	_, was, _ := t.st.snapshot()
	if was == d {
		return
	}
	if d {
		t.log.Warn("instance drained: resigning every DP and not campaigning until the drain ends")
	} else {
		t.log.Info("drain over: campaigning again")
	}
	t.st.update(func() { t.st.draining = d })
}

func sleep(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}
