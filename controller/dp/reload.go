package dp

import (
	"context"
	"slices"
	"strings"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

// extraPrefix keeps ApplyOwner owners apart from the pipeline's owners in
// the flow cache.
const extraPrefix = "ext:"

// prepared is a DP's next program, compiled but not installed.
type prepared struct {
	prog    *pipeline.Program
	learned *pipeline.Learned
}

// prepare compiles d under q with what the DP has learned, changing
// nothing. A change of the table layout (voice on or off) relearns hosts
// from scratch.
func (r *runner) prepare(d *config.DP, q *config.QoS) (prepared, error) {
	learned := r.st.learned
	if (q == nil) != (r.st.qos == nil) {
		learned = pipeline.NewLearned(compileOpts(q)...)
	}
	prog, err := compileDP(d, learned, q)
	if err != nil {
		return prepared{}, err
	}
	return prepared{prog: prog, learned: learned}, nil
}

// reconfigure makes d the DP's configuration, installing p (prepared from
// d and q on this goroutine, with nothing learned since). It sends only
// the owners whose flows changed, plus meter and group changes; the switch
// stays connected and untouched flows keep their counters.
func (r *runner) reconfigure(ctx context.Context, d *config.DP, q *config.QoS, p prepared) error {
	oldDP, oldProg, oldLearned := r.st.dp, r.st.prog, r.st.learned
	r.st.dp, r.st.qos, r.st.learned = d, q, p.learned
	if p.learned != oldLearned {
		// The table layout changed and hosts are relearned; LAGs stay up.
		r.st.learned.CopyLACP(oldLearned)
	}
	prog := p.prog
	r.st.prog = prog
	r.views.prog.Store(prog)
	r.publishVoice()
	// The stack's view and the LAGs' states are the fabric's and the DP's
	// own, not the configuration's, and the fabric takes the new
	// configuration only at the swap: a stacked DP, one whose LAGs changed,
	// or one whose learned state was rebuilt (LAG states copied in after
	// prepare) compiles once more with them (prepare compiled the same
	// configuration, so only they can differ).
	sv := r.m.stack.view(d.Name)
	r.st.learned.SetStack(sv)
	relearned := p.learned != oldLearned
	if lagsChanged := r.lacpConfigure(oldDP); lagsChanged || relearned || sv != nil {
		var err error
		if prog, err = r.compile(); err != nil {
			return err
		}
	}
	r.cfg.Store(d)
	r.ctr.configChanges.Add(1)

	// Hosts the new configuration no longer allows (their port or VLAN
	// went away) are not in the new program: delete their flows and
	// forget where they were.
	var b batch
	for owner := range r.st.hosts {
		if _, ok := prog.Flows[owner]; !ok {
			r.dropHost(owner, &b)
		}
	}
	if r.st.sw == nil {
		r.st.dirty = true
		r.l3Reconfigure(ctx, r.m.opts.Clock.Now())
		return nil
	}
	defer r.l3Reconfigure(ctx, r.m.opts.Clock.Now())
	// From here on the configuration is applied: a switch that fails to
	// take it is marked dirty and reconciled in full when it reconnects,
	// so the error is logged rather than returned.
	if r.asyncFailed.Swap(false) {
		r.st.dirty = true
	}
	if r.st.dirty || oldProg == nil {
		r.m.opts.Events.Reconfigured(r.id)
		if err := r.resync(ctx); err != nil {
			r.log.Warn("reconciling after a configuration change failed", "err", err)
		}
		return nil
	}
	for _, o := range r.st.cache.Owners() {
		if _, ok := prog.Flows[o]; !ok && o != ownerMeters && !strings.HasPrefix(o, extraPrefix) {
			r.setOwner(&b, o, nil)
		}
	}
	for _, o := range sortedOwners(prog.Flows) {
		r.setOwner(&b, o, prog.Flows[o])
	}
	b.setState(r.st.cache, ownerMeters, controller.State{Meters: prog.Meters, Groups: prog.Groups})
	adds, dels := b.counts()
	if !b.empty() {
		r.m.opts.Events.Reconfigured(r.id)
	}
	if err := r.send(ctx, &b); err != nil {
		r.log.Warn("sending a configuration change failed", "err", err)
		return nil
	}
	r.log.Info("configuration applied", "flow_adds", adds, "flow_deletes", dels)
	return nil
}

// sortedOwners returns m's keys in order, so plans are deterministic.
func sortedOwners[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
