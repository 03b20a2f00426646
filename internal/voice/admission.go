package voice

import (
	"context"
	"log/slog"
	"sync"

	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/qos"
)

// Admitter is call admission control (voip.qos.admission) at run time:
// the service asks it, when a leg's media becomes known, whether the
// leg's call fits the budget of the links its streams cross; the FastAGI
// and AsyncAGI sources ask it (Admit) before a call is answered; and it
// resizes the best-effort meters of the links that police best effort
// as calls come and go. Its accountant is qos.Admission.
//
// A restarted controller starts empty and counts the calls the sources
// report up when they resync, in the order they report them; admitted
// calls are never evicted.
type Admitter struct {
	mu  sync.Mutex
	q   *config.QoS
	acc *qos.Admission
	loc qos.Locator
	log *slog.Logger
	// refused: legs refused, so each is counted and published once.
	refused map[legKey]bool
	pol     *policer // nil when no link polices best effort
}

// NewAdmitter returns the admitter of q's admission section, or nil when
// it has none. loc locates the calls' endpoints; sw, which may be nil
// when no link polices best effort, installs and resizes the meters.
func NewAdmitter(q *config.QoS, loc qos.Locator, sw LinkSwitches, log *slog.Logger) *Admitter {
	if q.Admission == nil {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Admitter{q: q, acc: qos.NewAdmission(q), loc: loc, log: log.With("component", "admission"), refused: map[legKey]bool{}}
	if sw != nil {
		a.pol = newPolicer(q, sw, a.log)
		a.resize()
	}
	return a
}

// Admit is the agi.AdmitFunc: a call classified before it is answered is
// refused when a call of its class would not fit every link now. Its
// codec and path are not known yet, so it is asked for the rate of
// admission.assume_codec (or voip.qos.default_kbps) on every link;
// exempt classes always fit.
func (a *Admitter) Admit(_ context.Context, ev call.Classified) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	ok, link := a.acc.Fits(ev.Class, a.acc.AssumedKbps())
	if !ok {
		a.log.Warn("call refused before answer: over its link budget", "server", ev.Server, "call", ev.Call,
			"leg", ev.Uniqueid, "class", ev.Class, "link", link)
	}
	return ok
}

// admit decides a leg; refusedNow is true the first time a leg is
// refused.
func (a *Admitter) admit(leg qos.Leg) (d qos.Decision, refusedNow bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d = a.acc.Admit(leg, qos.Crossings(a.q, leg, a.loc))
	k := legKey{leg.Server, leg.ID}
	if !d.Admitted && !a.refused[k] {
		a.refused[k] = true
		refusedNow = true
	}
	a.resize()
	return d, refusedNow
}

// isRefused: the leg's call was refused.
func (a *Admitter) isRefused(server, leg string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refused[legKey{server, leg}]
}

func (a *Admitter) legEnded(server, callID, leg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acc.LegEnded(server, callID, leg)
	delete(a.refused, legKey{server, leg})
	a.resize()
}

func (a *Admitter) callEnded(server, callID string, c *mcall) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acc.CallEnded(server, callID)
	for l := range c.legs() {
		delete(a.refused, legKey{server, l.id})
	}
	a.resize()
}

// Used returns the voice bandwidth admitted on a link in a direction.
func (a *Admitter) Used(link string, dir qos.LinkDir) float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acc.Used(link, dir)
}

// resize hands the policer each policed link's best-effort rate; a.mu
// is held.
func (a *Admitter) resize() {
	if a.pol == nil {
		return
	}
	for i, l := range a.q.Admission.Links {
		if l.PoliceBestEffort {
			a.pol.set(i, a.acc.BestEffortKbps(l.Name))
		}
	}
}

// admitLeg asks admission control about a leg whose media is known and
// returns the leg to give the flows' owner, if any. A refused leg
// proceeds best effort, counted under over_budget, logged and published
// once; its flows, if any, are taken out, and unless the pinhole mode is
// off it gets per-call best-effort flows instead (qos.Leg.BestEffort):
// the standing RTP-range flows would otherwise mark it EF (mark) or drop
// it (strict). With pinhole: off nothing marks it and its media passes
// the link's best-effort meter, so it is left without flows.
func (s *Service) admitLeg(ctx context.Context, c *mcall, l *mleg) (qos.Leg, bool) {
	leg := s.qosLeg(c, l)
	if s.adm == nil {
		return leg, true
	}
	d, now := s.adm.admit(leg)
	if d.Admitted {
		return leg, true
	}
	if now {
		link := d.Link
		if link == "" {
			link = "(call refused earlier)"
		}
		s.log.Warn("call over its link budget: leg proceeds best effort", "server", leg.Server, "call", leg.Call,
			"leg", leg.ID, "codec", leg.Codec, "class", leg.Class, "link", link, "reason", qos.ReasonOverBudget)
		if m := s.opts.Metrics; m != nil {
			m.Fallback(string(qos.ReasonOverBudget))
		}
		if s.opts.Events != nil {
			s.opts.Events(call.BestEffort{Header: call.Header{Server: leg.Server, Call: leg.Call},
				Uniqueid: leg.ID, Reason: string(qos.ReasonOverBudget), Link: d.Link})
		}
	}
	// Media that moved onto a budgeted link takes the leg's flows out.
	s.flows.LegEnded(ctx, leg.Server, leg.Call, leg.ID) //nolint:errcheck // only fails at shutdown
	if s.m.policy.Pinhole == config.PinholeOff {
		return leg, false
	}
	leg.BestEffort, leg.Class = true, ""
	return leg, true
}
