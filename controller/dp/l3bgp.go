package dp

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/voipsdn/voipsdn/controller/bgp"
	"github.com/voipsdn/voipsdn/controller/route"
	"github.com/voipsdn/voipsdn/faucet/config"
)

// l3Speaker is one router's BGP speaker. gobgp calls queue on its own
// goroutine, which must not block: routes are appended under a mutex and
// a drain goroutine hands them to the DP's goroutine in batches, so a full
// table arriving at once becomes a few large flow batches, not 100,000
// round trips.
type l3Speaker struct {
	sp      *bgp.Speaker
	mu      sync.Mutex
	pending []bgp.Route
	kick    chan struct{}
}

func (s *l3Speaker) queue(rt bgp.Route) {
	s.mu.Lock()
	s.pending = append(s.pending, rt)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *l3Speaker) take() []bgp.Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

// l3Start records the DP goroutine's context and starts the BGP speakers of
// the DP's routers that have a bgp section. Their goroutines end with ctx;
// l3Stop waits for them.
func (r *runner) l3Start(ctx context.Context) {
	if r.st.l3 == nil {
		return
	}
	r.st.l3.runCtx = ctx
	r.startSpeakers(r.st.l3)
}

// startSpeakers starts l's speakers under its runCtx, once.
func (r *runner) startSpeakers(l *l3State) {
	if l.router == nil || l.runCtx == nil || l.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(l.runCtx)
	var wg sync.WaitGroup
	for _, rt := range r.st.dp.Routers {
		b := rt.BGP
		if b == nil {
			continue
		}
		cfg := bgp.Config{Name: r.st.dp.Name + "/" + rt.Name, AS: b.AS, RouterID: b.RouterID,
			ListenAddrs: b.ServerAddresses, ListenPort: int32(b.Port)}
		for _, a := range b.NeighborAddresses {
			cfg.Neighbors = append(cfg.Neighbors, bgp.Neighbor{Addr: a, AS: b.NeighborAS})
		}
		s := &l3Speaker{kick: make(chan struct{}, 1)}
		s.sp = bgp.New(cfg, r.log, s.queue)
		for _, a := range announcements(r.st.dp, b, l.router) {
			if err := s.sp.Announce(a.Prefix, a.NextHop); err != nil {
				r.log.Warn("bgp announce failed", "prefix", a.Prefix, "err", err)
			}
		}
		l.speakers = append(l.speakers, s)
		wg.Go(func() {
			if err := s.sp.Run(ctx); err != nil {
				r.log.Error("bgp speaker stopped", "router", rt.Name, "err", err)
			}
		})
		wg.Go(func() { r.l3Drain(ctx, s) })
	}
	l.bgpKey = bgpKey(r.st.dp, l.router)
	if len(l.speakers) == 0 {
		cancel()
		return
	}
	l.stop = func() { cancel(); wg.Wait() }
}

// bgpKey describes the DP's BGP speakers and what they announce, so a
// reload restarts them only when that changes.
func bgpKey(d *config.DP, rt *route.Router) string {
	if rt == nil {
		return ""
	}
	var k strings.Builder
	for _, x := range d.Routers {
		g := x.BGP
		if g == nil {
			continue
		}
		fmt.Fprintf(&k, "%s|%d|%d|%v|%v|%d|%v|%s|", x.Name, g.AS, g.NeighborAS, g.NeighborAddresses,
			g.ServerAddresses, g.Port, g.RouterID, g.VLANName)
		for _, a := range announcements(d, g, rt) {
			fmt.Fprintf(&k, "%v>%v,", a.Prefix, a.NextHop)
		}
		k.WriteByte(';')
	}
	return k.String()
}

// l3Stop stops the DP's speakers and waits for their goroutines. It runs on
// the DP's goroutine when it ends.
func (r *runner) l3Stop() {
	if r.st.l3 != nil {
		r.st.l3.stopSpeakers()
	}
}

func (l *l3State) stopSpeakers() {
	if l.stop != nil {
		l.stop()
		l.stop = nil
		l.speakers = nil
	}
}

// l3Drain hands a speaker's queued routes to the DP's goroutine.
func (r *runner) l3Drain(ctx context.Context, s *l3Speaker) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		routes := s.take()
		if len(routes) == 0 {
			continue
		}
		err := r.do(ctx, func(context.Context) error {
			// A request queued just before the speaker was stopped
			// (a reload replaced it) must not inject its routes.
			if ctx.Err() == nil {
				r.l3BGP(ctx, routes)
			}
			return nil
		})
		if err != nil {
			return
		}
	}
}

// l3BGP applies best-path changes from BGP to the RIB, and the resulting
// FIB changes to the switch in one batch.
func (r *runner) l3BGP(ctx context.Context, routes []bgp.Route) {
	l := r.st.l3
	if l == nil || l.router == nil {
		return
	}
	now := r.m.opts.Clock.Now()
	var b batch
	for _, rt := range routes {
		var out route.Output
		if rt.Withdrawn {
			delete(l.bgpRoutes, rt.Prefix)
			out = l.router.DeleteRoute(now, rt.Prefix, route.SourceBGP)
		} else {
			l.bgpRoutes[rt.Prefix] = rt.NextHop
			out = l.router.SetRoute(now, route.Route{Prefix: rt.Prefix, NextHop: rt.NextHop, Source: route.SourceBGP})
		}
		r.l3Apply(ctx, out, &b)
	}
	if err := r.send(ctx, &b); err != nil {
		r.log.Warn("sending BGP route changes failed", "err", err)
	}
}

// announcement is a prefix voipsdn advertises over BGP.
type announcement struct {
	Prefix  netip.Prefix
	NextHop netip.Addr
}

// announcements are the DP's connected subnets and static routes, with the
// VIP on the BGP VLAN of the same family as next hop (peers reach those
// prefixes through the controller's router). Prefixes of a family without
// a VIP on the BGP VLAN are not announced.
func announcements(d *config.DP, b *config.BGP, rt *route.Router) []announcement {
	nh := func(p netip.Prefix) netip.Addr {
		if b.VLAN == nil {
			return netip.Addr{}
		}
		for _, vip := range b.VLAN.FaucetVIPs {
			if vip.Addr().Is4() == p.Addr().Is4() {
				return vip.Addr()
			}
		}
		return netip.Addr{}
	}
	var out []announcement
	add := func(p netip.Prefix) {
		if a := nh(p); a.IsValid() {
			out = append(out, announcement{p.Masked(), a})
		}
	}
	for _, c := range rt.Connected() {
		add(c.Prefix)
	}
	for _, v := range d.VLANs {
		for _, s := range v.Routes {
			add(s.Dst)
		}
	}
	return out
}
