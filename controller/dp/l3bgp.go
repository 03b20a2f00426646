package dp

import (
	"context"
	"net/netip"
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

// l3Start starts the BGP speakers of the DP's routers that have a bgp
// section. Their goroutines end with ctx; l3Stop waits for them.
func (r *runner) l3Start(ctx context.Context) {
	l := r.st.l3
	if l == nil || l.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
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
	l.stop = func() { cancel(); wg.Wait() }
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
		err := r.do(ctx, func(ctx context.Context) error {
			r.l3BGP(ctx, routes)
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
	if l == nil {
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
