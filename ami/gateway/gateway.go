package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/voipsdn/voipsdn/ami"
)

// Upstream is one PBX's shared AMI session; *ami.Client is one.
type Upstream interface {
	Name() string
	Greeting() string
	Forward(ctx context.Context, a ami.Action, id string) (ami.Response, error)
	Subscribe(f func(ami.Message)) (cancel func())
}

// Gateway shares upstream sessions with its users' clients.
type Gateway struct {
	cfg   Config
	log   *slog.Logger
	users map[string]*policy // by lower-case name

	upMu      sync.RWMutex
	upstreams map[string]Upstream
	cancels   []func()
	routes    []route

	subMu sync.RWMutex
	subs  map[uint64]*sub
	all   atomic.Pointer[[]*sub] // snapshot of subs for the fan-out
	seq   atomic.Uint64          // session ids

	st counters
}

type counters struct {
	sessions, loginFailures, denied, slow, forwarded, events atomic.Uint64
	actionErrors                                             atomic.Uint64
}

// Stats are the gateway's counters.
type Stats struct {
	Clients          int    // connected now (AMI and SSE)
	Sessions         uint64 // ever accepted, AMI and SSE
	LoginFailures    uint64 // AMI logins and HTTP requests refused
	ActionsDenied    uint64 // by the user's policy
	ActionsForwarded uint64
	ActionErrors     uint64 // forwarding failed (PBX not connected, timeout)
	SlowDisconnects  uint64 // clients dropped because their queue filled
	EventsQueued     uint64 // events queued to clients, summed
}

// New builds a gateway for a resolved config (see Config.Resolve).
func New(cfg Config, log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientQueue <= 0 {
		cfg.ClientQueue = DefaultClientQueue
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	g := &Gateway{cfg: cfg, log: log.With("component", "gateway"), users: map[string]*policy{},
		upstreams: map[string]Upstream{}, subs: map[uint64]*sub{}}
	for i := range cfg.Users {
		g.users[strings.ToLower(cfg.Users[i].Name)] = newPolicy(&cfg.Users[i])
	}
	g.all.Store(&[]*sub{})
	return g
}

// AddUpstream shares u. Its events reach clients from now on.
func (g *Gateway) AddUpstream(u Upstream) {
	name := u.Name()
	cancel := u.Subscribe(func(m ami.Message) { g.fanOut(name, m) })
	g.upMu.Lock()
	g.upstreams[name] = u
	g.cancels = append(g.cancels, cancel)
	g.upMu.Unlock()
}

// Close unsubscribes from the upstreams.
func (g *Gateway) Close() {
	g.upMu.Lock()
	defer g.upMu.Unlock()
	for _, c := range g.cancels {
		c()
	}
	g.cancels = nil
}

func (g *Gateway) upstream(name string) Upstream {
	g.upMu.RLock()
	defer g.upMu.RUnlock()
	return g.upstreams[name]
}

// greeting is the first upstream's greeting, so clients that check the
// manager version see the PBX's.
func (g *Gateway) greeting() string {
	g.upMu.RLock()
	names := make([]string, 0, len(g.upstreams))
	for n := range g.upstreams {
		names = append(names, n)
	}
	sort.Strings(names)
	var gr string
	for _, n := range names {
		if gr = g.upstreams[n].Greeting(); gr != "" {
			break
		}
	}
	g.upMu.RUnlock()
	if gr == "" {
		return DefaultGreeting
	}
	return gr
}

// Stats returns the counters.
func (g *Gateway) Stats() Stats {
	return Stats{
		Clients: len(*g.all.Load()), Sessions: g.st.sessions.Load(), LoginFailures: g.st.loginFailures.Load(),
		ActionsDenied: g.st.denied.Load(), ActionsForwarded: g.st.forwarded.Load(), ActionErrors: g.st.actionErrors.Load(),
		SlowDisconnects: g.st.slow.Load(), EventsQueued: g.st.events.Load(),
	}
}

// authenticate returns the user's policy if secret is theirs.
func (g *Gateway) authenticate(name, secret string) *policy {
	p := g.users[strings.ToLower(name)]
	if p == nil || p.user.Secret.IsZero() || !equalSecret(p.user.Secret.Reveal(), secret) {
		return nil
	}
	return p
}

// item is one thing queued for a client: an event of an upstream (msg,
// shared and read-only; id is the client's ActionID to put back for an
// event routed to it alone) or a rendered response.
type item struct {
	server string
	msg    ami.Message
	id     string
	routed bool
	resp   *ami.Response
	raw    []byte
}

// sub is one logged-in client (AMI session or SSE stream).
type sub struct {
	id   uint64
	pol  *policy
	out  chan item
	mask atomic.Pointer[map[string]bool] // nil map: on
	// servers restricts the fan-out further (SSE's server= filter).
	servers map[string]bool
	names   map[string]bool // SSE's event= filter
	amiOn   bool            // takes AMI events at all
	kill    func()          // ends the client; safe to call twice
	dead    atomic.Bool
}

// register adds s to the fan-out.
func (g *Gateway) register(s *sub) {
	g.subMu.Lock()
	g.subs[s.id] = s
	g.snapshotLocked()
	g.subMu.Unlock()
	g.st.sessions.Add(1)
}

func (g *Gateway) unregister(s *sub) {
	g.subMu.Lock()
	delete(g.subs, s.id)
	g.snapshotLocked()
	g.subMu.Unlock()
}

func (g *Gateway) snapshotLocked() {
	all := make([]*sub, 0, len(g.subs))
	for _, s := range g.subs {
		all = append(all, s)
	}
	g.all.Store(&all)
}

// offer queues it for s without blocking; a full queue ends s.
func (g *Gateway) offer(s *sub, it item) bool {
	if s.dead.Load() {
		return false
	}
	select {
	case s.out <- it:
		return true
	default:
		if s.dead.CompareAndSwap(false, true) {
			g.st.slow.Add(1)
			g.log.Warn("gateway client too slow: queue full, disconnecting", "user", s.pol.user.Name, "session", s.id, "queue", cap(s.out))
			s.kill()
		}
		return false
	}
}

// actionIDPrefix starts every ActionID the gateway sends upstream.
const actionIDPrefix = "gw-"

// upstreamID is the ActionID sent upstream for a client's action.
func upstreamID(session, seq uint64, clientID string) string {
	return actionIDPrefix + strconv.FormatUint(session, 10) + "-" + strconv.FormatUint(seq, 10) + "|" + clientID
}

// parseUpstreamID undoes upstreamID.
func parseUpstreamID(id string) (session uint64, clientID string, ok bool) {
	rest, found := strings.CutPrefix(id, actionIDPrefix)
	if !found {
		return 0, "", false
	}
	head, clientID, found := strings.Cut(rest, "|")
	if !found {
		return 0, "", false
	}
	sid, _, _ := strings.Cut(head, "-")
	n, err := strconv.ParseUint(sid, 10, 64)
	return n, clientID, err == nil
}

// fanOut runs on an upstream's socket reader: it only filters and queues.
func (g *Gateway) fanOut(server string, m ami.Message) {
	if sid, clientID, ok := parseUpstreamID(m.ActionID()); ok {
		// An event answering one client's action (OriginateResponse):
		// that client only, whatever its event filters.
		g.subMu.RLock()
		s := g.subs[sid]
		g.subMu.RUnlock()
		if s != nil && g.offer(s, item{server: server, msg: m, id: clientID, routed: true}) {
			g.st.events.Add(1)
		}
		return
	}
	name, priv := m.Event(), m.Get("Privilege")
	for _, s := range *g.all.Load() {
		if !s.amiOn || !s.pol.servers[server] || (s.servers != nil && !s.servers[server]) {
			continue
		}
		if s.names != nil && !s.names[strings.ToLower(name)] {
			continue
		}
		if !s.pol.allowEvent(name, priv, *s.mask.Load()) {
			continue
		}
		if g.offer(s, item{server: server, msg: m}) {
			g.st.events.Add(1)
		}
	}
}

// do runs one client action under the user's policy and returns the
// response, with the client's ActionID (clientID) restored throughout.
func (g *Gateway) do(ctx context.Context, s *sub, seq uint64, a ami.Action, clientID string) ami.Response {
	server := a.Get("Server")
	if server != "" {
		a.Fields = withoutField(a.Fields, "Server")
	} else {
		server = s.pol.user.Servers[0]
	}
	if !s.pol.allowAction(a.Name) || !s.pol.servers[server] {
		g.st.denied.Add(1)
		g.log.Info("gateway action denied", "user", s.pol.user.Name, "action", a.Name, "server", server)
		return errorResponse(clientID, "Permission denied")
	}
	u := g.upstream(server)
	if u == nil {
		g.st.actionErrors.Add(1)
		return errorResponse(clientID, fmt.Sprintf("No such server: %s", server))
	}
	r, err := u.Forward(ctx, a, upstreamID(s.id, seq, clientID))
	if err != nil {
		g.st.actionErrors.Add(1)
		return errorResponse(clientID, "PBX "+server+" unavailable: "+errorText(err))
	}
	g.st.forwarded.Add(1)
	return restoreIDs(r, clientID)
}

// errorText keeps the reason of a forwarding error short and free of the
// rewritten ActionID.
func errorText(err error) string {
	switch {
	case err == nil:
		return ""
	case strings.Contains(err.Error(), ami.ErrNotConnected.Error()):
		return "not connected"
	case strings.Contains(err.Error(), ami.ErrTimeout.Error()):
		return "timed out"
	}
	return "failed"
}

func errorResponse(id, msg string) ami.Response {
	m := ami.Message{Fields: []ami.Field{{Key: "Response", Value: "Error"}}}
	if id != "" {
		m.Fields = append(m.Fields, ami.Field{Key: "ActionID", Value: id})
	}
	m.Fields = append(m.Fields, ami.Field{Key: "Message", Value: msg})
	return ami.Response{Message: m}
}

func withoutField(fs []ami.Field, key string) []ami.Field {
	out := make([]ami.Field, 0, len(fs))
	for _, f := range fs {
		if !strings.EqualFold(f.Key, key) {
			out = append(out, f)
		}
	}
	return out
}

// restoreIDs puts the client's ActionID back on a response and its list.
func restoreIDs(r ami.Response, id string) ami.Response {
	r.Message = withID(r.Message, id)
	if len(r.Events) > 0 {
		evs := make([]ami.Message, len(r.Events))
		for i, e := range r.Events {
			evs[i] = withID(e, id)
		}
		r.Events = evs
	}
	if len(r.Complete.Fields) > 0 {
		r.Complete = withID(r.Complete, id)
	}
	return r
}

// withID returns m with its ActionID set to id (removed when id is ""),
// copying the fields: upstream messages are shared.
func withID(m ami.Message, id string) ami.Message {
	fs := make([]ami.Field, 0, len(m.Fields))
	for _, f := range m.Fields {
		if strings.EqualFold(f.Key, "ActionID") {
			if id != "" {
				fs = append(fs, ami.Field{Key: f.Key, Value: id})
			}
			continue
		}
		fs = append(fs, f)
	}
	return ami.Message{Fields: fs}
}
