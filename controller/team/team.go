package team

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/controller"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Switch is what the team needs of an OpenFlow session;
// *controller.Switch is one.
type Switch interface {
	DPID() uint64
	RequestRole(ctx context.Context, role controller.Role, gen uint64) (controller.Role, uint64, error)
	Fence()
}

// Options configures a Team.
type Options struct {
	Config Config
	// Client is the etcd client (Config.Client makes one); the team does
	// not close it.
	Client *clientv3.Client
	Logger *slog.Logger
	// Promote is called once this instance is the switch's confirmed
	// master: it hands the switch to the DP, whose connect-time
	// reconcile adopts what the switch holds. It may block; ctx ends
	// when the mastership does.
	Promote func(ctx context.Context, sw Switch)
	// Demote is called after the switch's writes are fenced, when the
	// mastership ends: the DP forgets the switch.
	Demote func(dpid uint64, why string)
	// DPName names a datapath in logs and metrics.
	DPName func(dpid uint64) string
	// Metrics, if set, receives role changes and takeover times.
	Metrics *Metrics
}

// Team is one instance's part in a controller team.
type Team struct {
	o   Options
	cfg Config
	cl  *clientv3.Client
	log *slog.Logger
	ttl time.Duration
	st  *state
	lk  *links // nil without a liveness link

	ready  chan struct{} // closed once Run has set runCtx
	runCtx context.Context
	dpWG   sync.WaitGroup

	mu  sync.Mutex
	dps map[uint64]*member

	etcdDown atomic.Bool
}

// member is one attached switch and its campaign loop.
type member struct {
	sw      Switch
	dpid    uint64
	name    string
	ctx     context.Context
	cancel  context.CancelFunc
	demoted chan struct{} // the switch made us a slave
	done    chan struct{}
	master  atomic.Bool
	gen     atomic.Uint64
}

// New returns a Team; Run starts it.
func New(o Options) (*Team, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Client == nil {
		return nil, errors.New("team: no etcd client")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Promote == nil {
		o.Promote = func(context.Context, Switch) {}
	}
	if o.Demote == nil {
		o.Demote = func(uint64, string) {}
	}
	if o.DPName == nil {
		o.DPName = func(id uint64) string { return fmt.Sprintf("%#x", id) }
	}
	var lk *links
	if o.Config.Listen != "" {
		var err error
		if lk, err = listenLinks(o.Config); err != nil {
			return nil, err
		}
	}
	return &Team{
		lk: lk,
		o:  o, cfg: o.Config, cl: o.Client, ttl: o.Config.ttl(), st: newState(),
		log:   o.Logger.With("component", "team", "cluster", o.Config.Cluster, "instance", o.Config.Instance),
		ready: make(chan struct{}),
		dps:   map[uint64]*member{},
	}, nil
}

// Run keeps the lease and follows drains until ctx ends; then it waits for
// every DP loop to stop (each fenced, demoted and resigned) and revokes
// the lease.
func (t *Team) Run(ctx context.Context) error {
	t.runCtx = ctx
	close(t.ready)
	leaseCtx, stopLease := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { t.keepLease(leaseCtx) })
	wg.Go(func() { t.watchDrain(ctx) })
	// The links outlive the masterships and the lease: a peer that sees
	// them end revokes the lease, which must come after this instance
	// has resigned (a revocation before is safe, but less orderly).
	linkCtx, stopLinks := context.WithCancel(context.WithoutCancel(ctx))
	var lwg sync.WaitGroup
	if t.lk != nil {
		t.log.Info("team liveness link listening", "listen", t.lk.ln.Addr().String(), "advertised", t.lk.addr,
			"token", len(t.cfg.LinkToken) > 0)
		lwg.Go(func() { t.runLinks(linkCtx) })
	} else {
		t.log.Warn("team liveness link off: a master that dies is replaced only when its lease expires", "ttl", t.ttl)
	}
	<-ctx.Done()
	t.dpWG.Wait()
	stopLease()
	wg.Wait()
	stopLinks()
	lwg.Wait()
	return nil
}

// Attach starts campaigning for sw's datapath; ctx is the session's and
// ends the campaign with it. A session already attached for the datapath
// is detached first.
func (t *Team) Attach(ctx context.Context, sw Switch) {
	select {
	case <-t.ready:
	case <-ctx.Done():
		return
	}
	t.Detach(sw.DPID())
	m := &member{sw: sw, dpid: sw.DPID(), name: t.o.DPName(sw.DPID()),
		demoted: make(chan struct{}, 1), done: make(chan struct{})}
	m.ctx, m.cancel = context.WithCancel(ctx)
	stop := context.AfterFunc(t.runCtx, m.cancel)
	t.mu.Lock()
	t.dps[m.dpid] = m
	t.mu.Unlock()
	t.o.Metrics.SetRole(m.dpid, m.name, false)
	t.dpWG.Go(func() {
		defer stop()
		t.runDP(m)
	})
}

// Detach stops campaigning for dpid and returns once the DP loop has
// stopped (after fencing and demoting if it was master).
func (t *Team) Detach(dpid uint64) {
	t.mu.Lock()
	m := t.dps[dpid]
	delete(t.dps, dpid)
	t.mu.Unlock()
	if m != nil {
		m.cancel()
		<-m.done
		t.o.Metrics.forget(dpid, m.name)
	}
}

// RoleChanged is told that a switch changed this instance's role by itself
// (controller.Server.RoleChanged); it never blocks.
func (t *Team) RoleChanged(dpid uint64, role controller.Role) {
	if role != controller.RoleSlave {
		return
	}
	t.mu.Lock()
	m := t.dps[dpid]
	t.mu.Unlock()
	if m == nil {
		return
	}
	select {
	case m.demoted <- struct{}{}:
	default:
	}
}

// IsMaster reports whether this instance is master of dpid.
func (t *Team) IsMaster(dpid uint64) bool {
	t.mu.Lock()
	m := t.dps[dpid]
	t.mu.Unlock()
	return m != nil && m.master.Load()
}

// LinkAddr is the liveness link's advertised address, "" without one.
func (t *Team) LinkAddr() string {
	if t.lk == nil {
		return ""
	}
	return t.lk.addr
}

// Instance is this instance's id.
func (t *Team) Instance() string { return t.cfg.Instance }

func (t *Team) warnEtcd(msg string, err error) {
	if !t.etcdDown.Swap(true) {
		t.log.Warn(msg, "err", err)
	} else {
		t.log.Debug(msg, "err", err)
	}
}

func (t *Team) etcdOK() {
	if t.etcdDown.Swap(false) {
		t.log.Info("etcd reachable again")
	}
}
