package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v4/api"
	"github.com/osrg/gobgp/v4/pkg/apiutil"
	"github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/osrg/gobgp/v4/pkg/server"
)

// Neighbor is a BGP peer.
type Neighbor struct {
	Addr netip.Addr
	AS   uint32
}

// Config is one speaker's configuration.
type Config struct {
	// Name identifies the speaker in logs (the router's name).
	Name     string
	AS       uint32
	RouterID netip.Addr
	// ListenAddrs and ListenPort are where neighbours connect. A negative
	// port disables listening (tests).
	ListenAddrs []netip.Addr
	ListenPort  int32
	Neighbors   []Neighbor
}

// Route is a best-path change: the prefix's best next hop, or its
// withdrawal when no peer offers it any more.
type Route struct {
	Prefix    netip.Prefix
	NextHop   netip.Addr
	Peer      netip.Addr
	Withdrawn bool
}

// PeerStatus describes one neighbour.
type PeerStatus struct {
	Addr  netip.Addr
	AS    uint32
	State string
	Up    bool
	// Since is when the session came up (zero when down).
	Since time.Time
	// Routes is the number of prefixes the peer sent us.
	Routes int
}

// Speaker is a running BGP speaker.
type Speaker struct {
	cfg     Config
	log     *slog.Logger
	onRoute func(Route)

	mu        sync.Mutex
	srv       *server.BgpServer
	announced map[netip.Prefix]netip.Addr
	ups       map[netip.Addr]time.Time
	ready     chan struct{}
}

// New returns a speaker; onRoute receives best-path changes learned from
// peers.
func New(cfg Config, log *slog.Logger, onRoute func(Route)) *Speaker {
	return &Speaker{
		cfg: cfg, log: log.With("component", "bgp", "router", cfg.Name), onRoute: onRoute,
		announced: make(map[netip.Prefix]netip.Addr), ups: make(map[netip.Addr]time.Time),
		ready: make(chan struct{}),
	}
}

// Run starts the speaker and blocks until ctx ends, then stops it.
func (s *Speaker) Run(ctx context.Context) error {
	srv := server.NewBgpServer(server.LoggerOption(s.log, nil))
	served := make(chan struct{})
	go func() { srv.Serve(); close(served) }()
	defer func() { srv.Stop(); <-served }()

	global := &api.Global{Asn: s.cfg.AS, RouterId: s.cfg.RouterID.String(), ListenPort: s.cfg.ListenPort}
	for _, a := range s.cfg.ListenAddrs {
		global.ListenAddresses = append(global.ListenAddresses, a.String())
	}
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: global}); err != nil {
		return fmt.Errorf("bgp %s: start: %w", s.cfg.Name, err)
	}
	// srv.Stop, deferred above, stops BGP too; stopping it twice logs an
	// error.

	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := srv.WatchEvent(watchCtx, server.WatchEventMessageCallbacks{
		OnBestPath:   s.bestPaths,
		OnPeerUpdate: s.peerUpdate,
	}, server.WatchBestPath(true), server.WatchPeer())
	if err != nil {
		return fmt.Errorf("bgp %s: watch: %w", s.cfg.Name, err)
	}
	for _, n := range s.cfg.Neighbors {
		if err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: peerConfig(n)}); err != nil {
			return fmt.Errorf("bgp %s: neighbor %s: %w", s.cfg.Name, n.Addr, err)
		}
	}
	s.mu.Lock()
	s.srv = srv
	pending := make(map[netip.Prefix]netip.Addr, len(s.announced))
	for p, nh := range s.announced {
		pending[p] = nh
	}
	close(s.ready)
	s.mu.Unlock()
	for p, nh := range pending {
		if err := s.addPath(p, nh); err != nil {
			s.log.Warn("announcing prefix failed", "prefix", p, "err", err)
		}
	}
	<-ctx.Done()
	return nil
}

func peerConfig(n Neighbor) *api.Peer {
	fams := []*api.AfiSafi{{Config: &api.AfiSafiConfig{Family: apiutil.ToApiFamily(bgp.AFI_IP, bgp.SAFI_UNICAST), Enabled: true}}}
	if n.Addr.Is6() && !n.Addr.Is4In6() {
		fams = []*api.AfiSafi{{Config: &api.AfiSafiConfig{Family: apiutil.ToApiFamily(bgp.AFI_IP6, bgp.SAFI_UNICAST), Enabled: true}}}
	}
	return &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: n.Addr.String(), PeerAsn: n.AS},
		Transport: &api.Transport{PassiveMode: true},
		Timers:    &api.Timers{Config: &api.TimersConfig{ConnectRetry: 5, HoldTime: 90, KeepaliveInterval: 30}},
		AfiSafis:  fams,
	}
}

// Announce advertises prefix with next hop nh to every peer. It may be
// called before Run; the prefix is then announced once the speaker starts.
func (s *Speaker) Announce(prefix netip.Prefix, nh netip.Addr) error {
	prefix = prefix.Masked()
	s.mu.Lock()
	old, had := s.announced[prefix]
	s.announced[prefix] = nh
	running := s.srv != nil
	s.mu.Unlock()
	if !running || (had && old == nh) {
		return nil
	}
	return s.addPath(prefix, nh)
}

// Withdraw stops advertising prefix.
func (s *Speaker) Withdraw(prefix netip.Prefix) error {
	prefix = prefix.Masked()
	s.mu.Lock()
	nh, had := s.announced[prefix]
	delete(s.announced, prefix)
	srv := s.srv
	s.mu.Unlock()
	if !had || srv == nil {
		return nil
	}
	p, err := localPath(prefix, nh, true)
	if err != nil {
		return err
	}
	return srv.DeletePath(apiutil.DeletePathRequest{Paths: []*apiutil.Path{p}})
}

func (s *Speaker) addPath(prefix netip.Prefix, nh netip.Addr) error {
	p, err := localPath(prefix, nh, false)
	if err != nil {
		return err
	}
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	res, err := srv.AddPath(apiutil.AddPathRequest{Paths: []*apiutil.Path{p}})
	if err != nil {
		return fmt.Errorf("bgp %s: announce %s: %w", s.cfg.Name, prefix, err)
	}
	for _, r := range res {
		if r.Error != nil {
			return fmt.Errorf("bgp %s: announce %s: %w", s.cfg.Name, prefix, r.Error)
		}
	}
	return nil
}

// localPath builds a locally originated path (origin IGP).
func localPath(prefix netip.Prefix, nh netip.Addr, withdraw bool) (*apiutil.Path, error) {
	nlri, err := bgp.NewIPAddrPrefix(prefix)
	if err != nil {
		return nil, fmt.Errorf("prefix %s: %w", prefix, err)
	}
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP)}
	fam := bgp.RF_IPv4_UC
	if prefix.Addr().Is4() {
		a, err := bgp.NewPathAttributeNextHop(nh)
		if err != nil {
			return nil, fmt.Errorf("next hop %s: %w", nh, err)
		}
		attrs = append(attrs, a)
	} else {
		fam = bgp.RF_IPv6_UC
		a, err := bgp.NewPathAttributeMpReachNLRI(fam, []bgp.PathNLRI{{NLRI: nlri}}, nh)
		if err != nil {
			return nil, fmt.Errorf("next hop %s: %w", nh, err)
		}
		attrs = append(attrs, a)
	}
	return &apiutil.Path{Family: fam, Nlri: nlri, Attrs: attrs, Withdrawal: withdraw}, nil
}

// bestPaths turns gobgp's best-path events into Routes. Locally
// originated paths (our own announcements) are not reported.
func (s *Speaker) bestPaths(paths []*apiutil.Path, _ time.Time) {
	for _, p := range paths {
		r, ok := toRoute(p)
		if !ok {
			continue
		}
		s.onRoute(r)
	}
}

func toRoute(p *apiutil.Path) (Route, bool) {
	pfx, ok := p.Nlri.(*bgp.IPAddrPrefix)
	if !ok || !p.PeerAddress.IsValid() {
		return Route{}, false
	}
	r := Route{Prefix: pfx.Prefix, Peer: p.PeerAddress, Withdrawn: p.Withdrawal}
	for _, a := range p.Attrs {
		switch a := a.(type) {
		case *bgp.PathAttributeNextHop:
			r.NextHop = a.Value
		case *bgp.PathAttributeMpReachNLRI:
			r.NextHop = a.Nexthop
		}
	}
	if !r.Withdrawn && !r.NextHop.IsValid() {
		return Route{}, false
	}
	return r, true
}

func (s *Speaker) peerUpdate(ev *apiutil.WatchEventMessage_PeerEvent, at time.Time) {
	if ev.Type != apiutil.PEER_EVENT_STATE {
		return
	}
	st := ev.Peer.State
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.SessionState == bgp.BGP_FSM_ESTABLISHED {
		s.ups[st.NeighborAddress] = at
	} else {
		delete(s.ups, st.NeighborAddress)
	}
	s.log.Info("bgp neighbor state", "neighbor", st.NeighborAddress, "state", st.SessionState.String())
}

// ErrNotRunning is returned by queries made before Run has started the
// speaker.
var ErrNotRunning = errors.New("bgp speaker not running")

// Peers reports the neighbours' states.
func (s *Speaker) Peers(ctx context.Context) ([]PeerStatus, error) {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil, ErrNotRunning
	}
	var out []PeerStatus
	err := srv.ListPeer(ctx, &api.ListPeerRequest{EnableAdvertised: false}, func(p *api.Peer) {
		addr, _ := netip.ParseAddr(p.GetConf().GetNeighborAddress())
		ps := PeerStatus{Addr: addr, AS: p.GetConf().GetPeerAsn(), State: p.GetState().GetSessionState().String()}
		ps.Up = p.GetState().GetSessionState() == api.PeerState_SESSION_STATE_ESTABLISHED
		for _, af := range p.GetAfiSafis() {
			ps.Routes += int(af.GetState().GetReceived())
		}
		out = append(out, ps)
	})
	s.mu.Lock()
	for i := range out {
		out[i].Since = s.ups[out[i].Addr]
	}
	s.mu.Unlock()
	return out, err
}

// Ready is closed once Run has started the speaker.
func (s *Speaker) Ready() <-chan struct{} { return s.ready }
