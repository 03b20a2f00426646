package dp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// maxBatch bounds the packet-ins handled before the DP's changes are sent
// and confirmed with one barrier.
const maxBatch = 256

// errStopped is returned by requests to a DP whose goroutine has stopped.
var errStopped = errors.New("dp stopped")

// runner is one DP: its goroutine and the state that goroutine owns.
type runner struct {
	m    *Manager
	id   uint64
	log  *slog.Logger
	reqs chan func(context.Context)
	// asyncFailed is set when the switch refused part of a learning
	// batch; the DP goroutine folds it into st.dirty.
	asyncFailed atomic.Bool
	// queues and limits are indexed by Class (ClassLearn, ClassControl).
	queues [2]chan packetIn
	limits [2]*bucket
	ctr    counters
	views  views
	// commits is the group-commit queue of the stores' changes
	// (commit.go).
	commits commits
	// probed rate-limits ProbeIP per address (probe.go).
	probed map[netip.Addr]time.Time
	// cfg is the DP's current configuration. It is written only by the
	// goroutine but read by packet-in classification on session
	// goroutines; config values are immutable.
	cfg  atomic.Pointer[config.DP]
	done chan struct{}

	// stackKick wakes the goroutine when the stack's views changed.
	stackKick chan struct{}

	// Owned by the goroutine.
	st   state
	lacp lacpState
}

// state is what a DP's goroutine owns.
type state struct {
	dp *config.DP
	// qos is the voip: section's QoS policy, nil without one; it adds
	// the voip table and its standing flows.
	qos     *config.QoS
	learned *pipeline.Learned
	prog    *pipeline.Program
	sw      Switch
	cache   *controller.Cache
	// extra holds flows installed through ApplyOwner, by owner.
	extra map[string][]of13.Flow
	// hosts holds the learned hosts by owner key, with the flows sent
	// for them (hostflows.go): they bypass the cache.
	hosts map[string]*hostEntry
	// counts is the number of flows per cache owner, for Status.
	counts map[string]int
	// dirty is set when a send failed: the next chance resynchronises.
	dirty bool
	// lastRepair is when repair last reconciled the switch.
	lastRepair time.Time
	// l3 is the DP's routing (l3.go); nil when the DP has no faucet_vips.
	l3 *l3State
	// lldp is the DP's LLDP beacons and neighbours (lldp.go).
	lldp lldpState
}

func newRunner(m *Manager, d *config.DP, qos *config.QoS) *runner {
	o := m.opts
	r := &runner{
		m:    m,
		id:   d.ID,
		log:  o.Logger.With("dp", d.Name, "dpid", fmt.Sprintf("%#x", d.ID)),
		reqs: make(chan func(context.Context), 16),

		done:    make(chan struct{}),
		probed:  map[netip.Addr]time.Time{},
		commits: newCommits(),
		st: state{
			dp:      d,
			learned: pipeline.NewLearned(compileOpts(qos)...),
			qos:     qos,
			cache:   controller.NewCache(),
			extra:   map[string][]of13.Flow{},
			hosts:   map[string]*hostEntry{},
			counts:  map[string]int{},
		},
	}
	r.queues[ClassLearn] = make(chan packetIn, o.QueueLen)
	r.queues[ClassControl] = make(chan packetIn, o.QueueLen)
	r.limits[ClassLearn] = newBucket(o.LearnPPS, o.LearnBurst)
	r.limits[ClassControl] = newBucket(o.ControlPPS, o.ControlBurst)
	r.st.l3 = newL3(d, o.Clock.Now())
	r.lacpConfigure(nil)
	r.cfg.Store(d)
	r.stackKick = make(chan struct{}, 1)
	m.stack.register(d.ID, r.stackKick)
	r.st.learned.SetStack(m.stack.view(d.Name))
	return r
}

// do runs f on the DP's goroutine and returns its error.
func (r *runner) do(ctx context.Context, f func(context.Context) error) error {
	errc := make(chan error, 1)
	req := func(ctx context.Context) { errc <- f(ctx) }
	select {
	case r.reqs <- req:
	case <-r.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-errc:
		return err
	case <-r.done:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the DP's goroutine.
func (r *runner) run(ctx context.Context) {
	defer close(r.done)
	tick, stop := r.m.opts.Clock.NewTicker(r.m.opts.ExpireInterval)
	defer stop()
	lacpTick, stopLACP := r.m.opts.Clock.NewTicker(lacpTickInterval)
	defer stopLACP()
	if r.st.prog == nil {
		if _, err := r.compile(); err != nil {
			r.log.Error("compile failed", "err", err)
		}
	}
	r.l3Start(ctx)
	for {
		// Control-plane packets go first, so a learning storm cannot
		// delay them behind its own queue.
		select {
		case p := <-r.queues[ClassControl]:
			r.handlePackets(ctx, p)
			continue
		default:
		}
		select {
		case <-ctx.Done():
			r.stop()
			return
		case f := <-r.reqs:
			f(ctx)

		case p := <-r.queues[ClassControl]:
			r.handlePackets(ctx, p)
		case p := <-r.queues[ClassLearn]:
			r.handlePackets(ctx, p)
		case now := <-tick:
			r.expire(ctx, now)
			r.l3Tick(ctx, now)
			r.lldpTick(ctx, now)
			r.stackTick(now)
			r.confirmOvertaking(ctx, false)
			r.repair(ctx, now)
		case now := <-lacpTick:
			r.lacpTick(ctx, now)
		case <-r.stackKick:
			r.stackApply(ctx)
		case <-r.commits.kick:
			r.flushCommits(ctx)
		}
	}
}

// stop forgets the DP's hosts when its goroutine ends. The switch is left
// connected: the Manager closes sessions it no longer wants.
func (r *runner) stop() {
	r.l3Stop()
	r.m.stack.unregister(r.id)
	r.m.hosts.forgetDP(r.id)
	r.ctr.connected.Store(false)
	r.stopCommits()
}

// compile recompiles the DP's program from its config and learned state.
func (r *runner) compile() (*pipeline.Program, error) {
	prog, err := compileDP(r.st.dp, r.st.learned, r.st.qos)
	if err != nil {
		return nil, err
	}
	r.st.prog = prog
	r.views.prog.Store(prog)
	r.publishVoice()
	return prog, nil
}

// send applies b to the switch through the group commit and waits for its
// verdict (commitWait), then commits its cache owners. On failure the
// owners' changes are aborted and the DP marked dirty, so that repair, the
// next connect or reload reconciles from the switch's real content.
func (r *runner) send(ctx context.Context, b *batch) error {
	if r.asyncFailed.Swap(false) {
		r.st.dirty = true
	}
	if b.empty() {
		return nil
	}
	if r.st.sw == nil {
		for o := range b.owners {
			r.st.cache.Abort(o)
		}
		r.st.dirty = true
		return nil
	}
	err := r.commitWait(ctx, b.change())
	for o := range b.owners {
		if err == nil {
			r.st.cache.Commit(o)
		} else {
			r.st.cache.Abort(o)
		}
	}
	if err != nil {
		r.st.dirty = true
	}
	return err
}

// commitWait queues c on the group commit and waits for its verdict: for
// the pipeline's owners, which are committed to the cache only once the
// switch has confirmed them. It runs on the DP's goroutine, which is the
// one that sends, so it drives the queue while it waits.
func (r *runner) commitWait(ctx context.Context, c Change) error {
	verdict := make(chan error, 1)
	r.commit(c, func(err error) { verdict <- err })
	return r.await(ctx, verdict)
}

// await drives the group commit on the DP's goroutine until verdict is
// in, for at most Options.SyncTimeout. Whatever else is queued meanwhile
// goes too, in order; the main loop is woken for what is left.
func (r *runner) await(ctx context.Context, verdict <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, r.m.opts.SyncTimeout)
	defer cancel()
	defer r.commits.wake()
	for {
		r.flushCommits(ctx)
		select {
		case err := <-verdict:
			return err
		case <-r.commits.kick:
		case <-ctx.Done():
			return fmt.Errorf("dp %s: %w", r.st.dp.Name, ctx.Err())
		}
	}
}

// countSent counts the flow-mods among msgs.
func (r *runner) countSent(msgs []of13.Message) {
	n := 0
	for _, m := range msgs {
		if fm, ok := m.(of13.FlowMod); ok {
			n++
			if fm.Command == of13.FlowAdd {
				r.ctr.flowAdds.Add(1)
			} else {
				r.ctr.flowDeletes.Add(1)
			}
		}
	}
	r.m.opts.Events.FlowMods(r.id, n)
}

// setOwner adds owner's new flows to b and keeps the flow count current.
// Learned hosts go to the host table, every other owner to the cache.
func (r *runner) setOwner(b *batch, owner string, flows []of13.Flow) {
	if isHostOwner(owner) {
		r.setHost(b, owner, flows, false)
		return
	}
	b.set(r.st.cache, owner, flows)
	r.ctr.flows.Add(int64(len(flows) - r.st.counts[owner]))
	if len(flows) == 0 {
		delete(r.st.counts, owner)
	} else {
		r.st.counts[owner] = len(flows)
	}
}

// status reads the DP's counters; safe from any goroutine.
func (r *runner) status() Status {
	d := r.cfg.Load()
	s := Status{
		Name: d.Name, ID: r.id,
		Connected:     r.ctr.connected.Load(),
		Flows:         int(r.ctr.flows.Load()),
		Hosts:         r.m.hosts.count(r.id),
		ParseErrors:   r.ctr.parseErrors.Load(),
		Syncs:         r.ctr.syncs.Load(),
		SyncErrors:    r.ctr.syncErrors.Load(),
		FlowAdds:      r.ctr.flowAdds.Load(),
		FlowDeletes:   r.ctr.flowDeletes.Load(),
		ConfigChanges: r.ctr.configChanges.Load(),
		LearnFailures: r.ctr.learnFailures.Load(),
	}
	s.LastSync = time.Duration(r.ctr.lastSync.Load())
	for c := range s.PacketIns {
		s.PacketIns[c] = r.ctr.class[c].snapshot()
	}
	return s
}
