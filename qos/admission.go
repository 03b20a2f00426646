package qos

import (
	"math"
	"net/netip"

	"github.com/voipsdn/voipsdn/faucet/config"
)

// Call admission control (voip.qos.admission) budgets the voice bandwidth
// of configured links. The path rule is deliberately simple: a link is a
// port of a switch (the uplink), and a media stream crosses it when one
// of its ends is learned on that switch on another port (inside) and the
// other end is not (it is beyond the uplink: learned on the uplink port
// itself, on another switch, or not learned at all, as a WAN peer is).
// A stream from inside to beyond goes up the link, the other way down;
// each direction has the link's capacity. An end that is not learned
// anywhere is taken to be beyond, so a phone must be learned on its
// access switch for its call to be counted: a call none of whose streams
// crosses a link is admitted without being counted.
//
// A call is decided once, by the first leg whose streams cross a link:
// admitted if every direction of every link it crosses stays within its
// budget with it, else best effort (ReasonOverBudget) for the whole call.
// Later legs of an admitted call are admitted and counted whatever the
// budget, so a call is never half prioritised and an admitted call is
// never evicted; later legs of a refused call are refused. Calls of a
// class with admission: exempt are always admitted, and counted.

// LinkDir is a direction across a link.
type LinkDir uint8

// Directions across a link.
const (
	// LinkUp: from the switch's side to beyond the link (towards it).
	LinkUp LinkDir = iota
	// LinkDown: from beyond the link into the switch's side.
	LinkDown
)

// Crossing is one stream's use of one link.
type Crossing struct {
	Link string
	Dir  LinkDir
	Kbps float64
}

// Crossings returns the links the streams of leg cross, in q's link
// order, with each stream's bandwidth (the codec's, voip.qos.codec_kbps).
// A direct leg owns only its phone's stream (see Leg.Direct).
func Crossings(q *config.QoS, leg Leg, loc Locator) []Crossing {
	if q.Admission == nil || !validMedia(leg.Local) || !validMedia(leg.Remote) {
		return nil
	}
	streams := [][2]netip.Addr{{leg.Remote.Addr(), leg.Local.Addr()}}
	if !leg.Direct {
		streams = append(streams, [2]netip.Addr{leg.Local.Addr(), leg.Remote.Addr()})
	}
	where := func(ip netip.Addr) (Location, bool) { return loc.Locate(ip) }
	kbps := q.Kbps(leg.Codec)
	var out []Crossing
	for _, l := range q.Admission.Links {
		inside := func(ip netip.Addr) bool {
			at, ok := where(ip)
			return ok && at.DP == l.DP && at.Port != l.Port
		}
		for _, s := range streams {
			switch src, dst := inside(s[0]), inside(s[1]); {
			case src && !dst:
				out = append(out, Crossing{Link: l.Name, Dir: LinkUp, Kbps: kbps})
			case dst && !src:
				out = append(out, Crossing{Link: l.Name, Dir: LinkDown, Kbps: kbps})
			}
		}
	}
	return out
}

// Admission is the admission accountant: what each admitted call uses of
// each link. It does no I/O; its owner serialises calls to it.
type Admission struct {
	q     *config.QoS
	used  map[string]*[2]float64 // by link name
	calls map[admKey]*admCall
}

type admKey struct{ server, call string }

type admCall struct {
	decided, admitted bool
	legs              map[string][]Crossing
}

// Decision is the outcome of admitting a leg.
type Decision struct {
	Admitted bool
	// Link is the link over budget, when refused.
	Link string
	// New: this leg decided its call (its first leg crossing a link).
	New bool
}

// NewAdmission returns an empty accountant for q's links (none when q has
// no admission section: every call is admitted).
func NewAdmission(q *config.QoS) *Admission {
	a := &Admission{q: q, used: map[string]*[2]float64{}, calls: map[admKey]*admCall{}}
	if q.Admission != nil {
		for _, l := range q.Admission.Links {
			a.used[l.Name] = &[2]float64{}
		}
	}
	return a
}

// Admit decides leg with its crossings (Crossings) and, when admitted,
// counts them in place of what the leg counted before (its media may
// have changed).
func (a *Admission) Admit(leg Leg, cross []Crossing) Decision {
	k := admKey{leg.Server, leg.Call}
	c := a.calls[k]
	if c == nil {
		c = &admCall{legs: map[string][]Crossing{}}
		a.calls[k] = c
	}
	if c.decided && !c.admitted {
		return Decision{}
	}
	a.take(c, leg.ID, -1)
	d := Decision{Admitted: true}
	if !c.decided && len(cross) > 0 {
		d.New = true
		c.decided = true
		if !a.exempt(leg.Class) {
			if l := a.over(cross); l != "" {
				delete(c.legs, leg.ID)
				return Decision{Link: l, New: true}
			}
		}
		c.admitted = true
	}
	c.legs[leg.ID] = cross
	a.take(c, leg.ID, 1)
	return d
}

// Fits reports whether a call of class, with a stream each way of codec
// across a link, would be admitted now: for a question asked before the
// call's path and codec are known (FastAGI), so it asks every link. It
// returns the first link without room.
func (a *Admission) Fits(class string, kbps float64) (bool, string) {
	if a.q.Admission == nil || a.exempt(class) {
		return true, ""
	}
	var cross []Crossing
	for _, l := range a.q.Admission.Links {
		cross = append(cross, Crossing{l.Name, LinkUp, kbps}, Crossing{l.Name, LinkDown, kbps})
	}
	l := a.over(cross)
	return l == "", l
}

// AssumedKbps is the per-stream rate Fits is asked with: that of
// admission.assume_codec, or voip.qos.default_kbps.
func (a *Admission) AssumedKbps() float64 {
	if a.q.Admission != nil && a.q.Admission.AssumeCodec != "" {
		return a.q.Kbps(a.q.Admission.AssumeCodec)
	}
	return a.q.DefaultKbps
}

// LegEnded releases what a leg counted.
func (a *Admission) LegEnded(server, call, leg string) {
	if c := a.calls[admKey{server, call}]; c != nil {
		a.take(c, leg, -1)
		delete(c.legs, leg)
	}
}

// CallEnded releases what a call counted and forgets its decision.
func (a *Admission) CallEnded(server, call string) {
	k := admKey{server, call}
	if c := a.calls[k]; c != nil {
		for id := range c.legs {
			a.take(c, id, -1)
		}
		delete(a.calls, k)
	}
}

// Used returns the admitted voice bandwidth on a link in a direction.
func (a *Admission) Used(link string, dir LinkDir) float64 {
	if u := a.used[link]; u != nil {
		return u[dir]
	}
	return 0
}

// BestEffortKbps is the rate best-effort traffic towards a link is policed
// at: its capacity less the voice admitted up it, never below 1% of the
// capacity (exempt calls may take the whole link).
func (a *Admission) BestEffortKbps(link string) uint32 {
	l := a.q.Admission.Link(link)
	if l == nil {
		return 0
	}
	r := math.Max(l.CapacityKbps-a.Used(link, LinkUp), l.CapacityKbps/100)
	return uint32(math.Max(1, math.Round(r)))
}

func (a *Admission) exempt(class string) bool {
	c := a.q.Class(class)
	return c != nil && c.Admission == config.AdmissionExempt
}

// over returns the first link cross would take past its budget.
func (a *Admission) over(cross []Crossing) string {
	var add = map[string]*[2]float64{}
	for _, x := range cross {
		if add[x.Link] == nil {
			add[x.Link] = &[2]float64{}
		}
		add[x.Link][x.Dir] += x.Kbps
	}
	for _, l := range a.q.Admission.Links {
		d := add[l.Name]
		if d == nil {
			continue
		}
		u := a.used[l.Name]
		// A small tolerance keeps float sums of equal calls exact at
		// the budget.
		if u[LinkUp]+d[LinkUp] > l.BudgetKbps()+1e-6 || u[LinkDown]+d[LinkDown] > l.BudgetKbps()+1e-6 {
			return l.Name
		}
	}
	return ""
}

// take adds (sign 1) or removes (-1) what leg id of c counts.
func (a *Admission) take(c *admCall, id string, sign float64) {
	for _, x := range c.legs[id] {
		if u := a.used[x.Link]; u != nil {
			u[x.Dir] += sign * x.Kbps
			if u[x.Dir] < 1e-9 {
				u[x.Dir] = 0
			}
		}
	}
	if sign < 0 {
		delete(c.legs, id)
	}
}
