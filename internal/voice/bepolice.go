package voice

import (
	"context"
	"log/slog"
	"sync"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// LinkSwitches is what best-effort policing asks of the datapaths.
// Switches is one.
type LinkSwitches interface {
	// DPID returns the id of the named datapath.
	DPID(dp string) (uint64, bool)
	Placement(dpid uint64) (qos.Placement, bool)
	// MeterMod sends one meter-mod and waits for the switch to confirm it.
	MeterMod(ctx context.Context, dpid uint64, mm of13.MeterMod) error
	// ApplyOwner makes flows the owner's complete set on the datapath
	// (dp.Manager.ApplyOwner: kept and replayed on reconnection).
	ApplyOwner(ctx context.Context, dpid uint64, owner string, flows []of13.Flow) error
}

// policer keeps each policed link's best-effort meter at the rate the
// admitter last set, with meter-mods only: the flows that use the meter
// are installed once per switch connection and never change with calls.
// Its goroutine (run) is the only one talking to the switches, so
// admission decisions never wait for a switch.
type policer struct {
	sw    LinkSwitches
	log   *slog.Logger
	links []*config.AdmissionLink // index: the link's in voip.qos.admission.links
	kick  chan struct{}

	mu      sync.Mutex
	want    []uint32
	pending map[uint64]bool // switches (re)connected since the last pass
}

func newPolicer(q *config.QoS, sw LinkSwitches, log *slog.Logger) *policer {
	p := &policer{sw: sw, log: log, links: q.Admission.Links, kick: make(chan struct{}, 1),
		want: make([]uint32, len(q.Admission.Links)), pending: map[uint64]bool{}}
	return p
}

func (p *policer) set(i int, kbps uint32) {
	p.mu.Lock()
	changed := p.want[i] != kbps
	p.want[i] = kbps
	p.mu.Unlock()
	if changed {
		p.poke()
	}
}

// switchUp: the switch (re)connected; its links' meters and flows are
// installed again.
func (p *policer) switchUp(dpid uint64) {
	p.mu.Lock()
	p.pending[dpid] = true
	p.mu.Unlock()
	p.poke()
}

func (p *policer) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func ownerOf(l *config.AdmissionLink) string { return "voice-best-effort-" + l.Name }

// run applies the wanted rates until ctx ends.
func (p *policer) run(ctx context.Context) {
	installed := make([]bool, len(p.links))
	applied := make([]uint32, len(p.links))
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		}
		p.mu.Lock()
		want := append([]uint32(nil), p.want...)
		up := p.pending
		p.pending = map[uint64]bool{}
		p.mu.Unlock()
		for i, l := range p.links {
			if !l.PoliceBestEffort {
				continue
			}
			dpid, ok := p.sw.DPID(l.DP)
			if !ok {
				continue
			}
			if up[dpid] || !installed[i] {
				installed[i] = p.install(ctx, dpid, i, want[i], up[dpid])
				if installed[i] {
					applied[i] = want[i]
				}
				continue
			}
			if applied[i] == want[i] {
				continue
			}
			mm := of13.MeterMod{Command: of13.ModModify, Meter: qos.BestEffortMeter(qos.BestEffortMeterID(i), want[i])}
			if err := p.sw.MeterMod(ctx, dpid, mm); err != nil {
				// Installed again at the switch's next connection.
				p.log.Warn("resizing the best-effort meter failed", "link", l.Name, "kbps", want[i], "err", err)
				installed[i] = false
				continue
			}
			p.log.Debug("best-effort meter resized", "link", l.Name, "kbps", want[i], "was", applied[i])
			applied[i] = want[i]
		}
	}
}

// install puts link i's meter (added, or modified if the switch kept it
// from an earlier run) and flows on its switch. After a reconnection
// (again) the flows are withdrawn and sent afresh, so that flows the
// switch refused while it had no meter are not taken as present.
func (p *policer) install(ctx context.Context, dpid uint64, i int, kbps uint32, again bool) bool {
	l := p.links[i]
	pl, ok := p.sw.Placement(dpid)
	if !ok {
		return false
	}
	m := qos.BestEffortMeter(qos.BestEffortMeterID(i), kbps)
	if err := p.sw.MeterMod(ctx, dpid, of13.MeterMod{Command: of13.ModAdd, Meter: m}); err != nil {
		if err := p.sw.MeterMod(ctx, dpid, of13.MeterMod{Command: of13.ModModify, Meter: m}); err != nil {
			p.log.Warn("installing the best-effort meter failed", "link", l.Name, "err", err)
			return false
		}
	}
	if again {
		if err := p.sw.ApplyOwner(ctx, dpid, ownerOf(l), nil); err != nil {
			p.log.Warn("withdrawing the best-effort flows failed", "link", l.Name, "err", err)
			return false
		}
	}
	if err := p.sw.ApplyOwner(ctx, dpid, ownerOf(l), qos.BestEffortFlows(l, i, pl)); err != nil {
		p.log.Warn("installing the best-effort flows failed", "link", l.Name, "err", err)
		return false
	}
	p.log.Info("best-effort policing on", "link", l.Name, "dp", l.DP, "port", l.Port, "kbps", kbps)
	return true
}
