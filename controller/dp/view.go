package dp

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// View is a read-only snapshot of one DP for metrics: its counters, its
// configuration, the program it runs and what its switch reported. Nothing
// in it may be modified.
type View struct {
	Status
	Config *config.DP
	// Program is nil until the DP has compiled.
	Program *pipeline.Program
	// Ports is the switch's live port table, nil while disconnected.
	Ports []of13.Port
	// Desc is the switch's description, nil until it answered.
	Desc *of13.Desc
	// LACP holds the LACP ports' states, by port number.
	LACP []LACPPort
	// Stack is the DP's view of the stack, nil when not stacked.
	Stack *StackStatus
}

// views holds what View reads, published by the DP's goroutine.
type views struct {
	prog atomic.Pointer[pipeline.Program]
	sw   atomic.Pointer[switchBox]
	desc atomic.Pointer[of13.Desc]
	lacp atomic.Pointer[[]LACPPort]
	// voice is where per-call flows go (VoicePlacement): computed when
	// the program or the switch's connection changes, nil while the DP
	// is not connected and in sync or runs no voice table. Immutable.
	voice atomic.Pointer[qos.Placement]
}

// publishVoice recomputes the voice placement from the published program
// and connection; the DP's goroutine calls it after changing either.
func (r *runner) publishVoice() {
	prog := r.views.prog.Load()
	if prog == nil || r.views.sw.Load() == nil {
		r.views.voice.Store(nil)
		return
	}
	pl, ok := Placement(r.st.dp, prog)
	if !ok {
		r.views.voice.Store(nil)
		return
	}
	r.views.voice.Store(&pl)
}

// VoicePlacement returns where per-call voice flows go on DP dpid: its
// voice table, the table each VLAN continues to and its cookie. ok is
// false when the DP is not configured, not connected and in sync, or
// runs no voice table. It reads what the DP's goroutine published when
// its program or connection last changed: no waiting and no computing,
// so a planner may ask per call. The placement (its Next map too) is
// shared and must not be modified.
func (m *Manager) VoicePlacement(dpid uint64) (qos.Placement, bool) {
	r := m.runner(dpid)
	if r == nil {
		return qos.Placement{}, false
	}
	pl := r.views.voice.Load()
	if pl == nil {
		return qos.Placement{}, false
	}
	return *pl, true
}

// switchBox lets an interface value live in an atomic.Pointer.
type switchBox struct{ sw Switch }

// porter is implemented by switches that know their port table.
type porter interface{ Ports() []of13.Port }

// describer is implemented by switches that can report their description.
type describer interface {
	Desc(ctx context.Context) (of13.Desc, error)
}

// EachView calls fn with a snapshot of every configured DP. Like EachDP it
// does no switch I/O and does not wait for the DPs' goroutines.
func (m *Manager) EachView(fn func(View)) {
	m.mu.RLock()
	rs := make([]*runner, 0, len(m.dps))
	for _, h := range m.dps {
		rs = append(rs, h.r)
	}
	m.mu.RUnlock()
	for _, r := range rs {
		v := View{Status: r.status(), Config: r.cfg.Load(), Program: r.views.prog.Load(), Desc: r.views.desc.Load()}
		if l := r.views.lacp.Load(); l != nil {
			v.LACP = *l
		}
		v.Stack = m.stack.status(v.Config.Name)
		if b := r.views.sw.Load(); b != nil {
			if p, ok := b.sw.(porter); ok {
				v.Ports = p.Ports()
			}
		}
		fn(v)
	}
}

// EachHost calls fn for every host learned on DP dpid.
func (m *Manager) EachHost(dpid uint64, fn func(Location)) {
	m.hosts.mu.RLock()
	locs := make([]Location, 0, 64)
	for _, rec := range m.hosts.byMAC {
		if rec.loc.DPID == dpid {
			locs = append(locs, rec.loc)
		}
	}
	m.hosts.mu.RUnlock()
	for _, l := range locs {
		fn(l)
	}
}

// publishSwitch records the DP's switch for View and, once, asks it for its
// description (a short request at connect, not at scrape time).
func (r *runner) publishSwitch(ctx context.Context, sw Switch) {
	if sw == nil {
		r.views.sw.Store(nil)
		r.publishVoice()
		return
	}
	r.views.sw.Store(&switchBox{sw})
	r.publishVoice()
	if d, ok := sw.(describer); ok {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if desc, err := d.Desc(ctx); err == nil {
			r.views.desc.Store(&desc)
		}
	}
}
