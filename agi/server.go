package agi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/call"
)

// PBX names a configured Asterisk server and the addresses its FastAGI
// connections come from (the IP hosts of its voip.asterisk entry).
type PBX struct {
	Name  string
	Addrs []netip.Addr
}

// Options configure a Server.
type Options struct {
	// PBXs are the configured servers. A session is tied to the server
	// whose address it comes from; failing that, to the server named by
	// the URL's server= parameter; failing that, to the only server when
	// there is one.
	PBXs []PBX
	// Allow lists further networks sessions are accepted from; a peer
	// that is neither a PBX address nor in Allow is closed at once.
	Allow []netip.Prefix
	// MaxSessions bounds the sessions served at once (default 64); past
	// it a connection is closed at once and counted in Stats.Refused.
	MaxSessions int
	// Timeout bounds each read and write, and the wait for Asterisk to
	// close after voipsdn finished (default 5 s).
	Timeout    time.Duration
	Classifier *Classifier
	Logger     *slog.Logger
}

// Stats counts what the server did.
type Stats struct {
	Sessions       uint64 // sessions served (accepted within the limits)
	Active         int64  // sessions now
	Classified     uint64 // Classified events emitted
	UnknownClass   uint64
	UnknownScript  uint64
	UnknownServer  uint64
	Rejected       uint64
	Refused        uint64 // closed because MaxSessions were busy
	Denied         uint64 // closed because the peer is not allowed
	ProtocolErrors uint64 // bad environment or answers, timeouts, resets
	Hangups        uint64 // sessions where Asterisk said HANGUP before voipsdn finished
}

type stats struct {
	sessions, classified, unknownClass, unknownScript, unknownServer, rejected,
	refused, denied, protocolErrors, hangups atomic.Uint64
	active atomic.Int64
}

// Server is voipsdn's FastAGI server.
type Server struct {
	opt   Options
	emit  func(call.Event)
	log   *slog.Logger
	st    stats
	sem   chan struct{}
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// NewServer returns a server that reports classified calls to emit.
func NewServer(opt Options, emit func(call.Event)) *Server {
	if opt.MaxSessions <= 0 {
		opt.MaxSessions = 64
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.Classifier == nil {
		opt.Classifier = NewClassifier(nil, nil)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		opt: opt, emit: emit, log: log.With("component", "fastagi"),
		sem: make(chan struct{}, opt.MaxSessions), conns: map[net.Conn]struct{}{},
	}
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Sessions: s.st.sessions.Load(), Active: s.st.active.Load(), Classified: s.st.classified.Load(),
		UnknownClass: s.st.unknownClass.Load(), UnknownScript: s.st.unknownScript.Load(),
		UnknownServer: s.st.unknownServer.Load(), Rejected: s.st.rejected.Load(),
		Refused: s.st.refused.Load(), Denied: s.st.denied.Load(),
		ProtocolErrors: s.st.protocolErrors.Load(), Hangups: s.st.hangups.Load(),
	}
}

// ListenAndServe listens on addr (host:port) and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve accepts sessions on ln until ctx ends, then closes ln and every
// session and returns after all of them have ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		_ = ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
	})
	defer func() {
		stop()
		_ = ln.Close()
		wg.Wait()
	}()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return ctx.Err()
			}
			// Out of descriptors and the like: pace, do not spin.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("fastagi accept failed", "err", err, "retry_in", delay)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(delay):
			}
			continue
		}
		delay = 0
		peer := peerAddr(c)
		if !s.allowed(peer) {
			s.st.denied.Add(1)
			s.log.Warn("fastagi connection from an address not allowed", "peer", peer)
			_ = c.Close()
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			s.st.refused.Add(1)
			s.log.Warn("fastagi session refused: max_sessions busy", "peer", peer, "max_sessions", s.opt.MaxSessions)
			_ = c.Close()
			continue
		}
		if !s.track(ctx, c) {
			<-s.sem
			_ = c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-s.sem }()
			defer s.untrack(c)
			s.serveConn(ctx, c, peer)
		}()
	}
}

// track registers a session's connection so that shutdown closes it; it
// refuses once ctx has ended (the shutdown may already have run).
func (s *Server) track(ctx context.Context, c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	_ = c.Close()
}

func peerAddr(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

func (s *Server) allowed(peer netip.Addr) bool {
	if s.pbxOf(peer) != "" {
		return true
	}
	for _, p := range s.opt.Allow {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

func (s *Server) pbxOf(peer netip.Addr) string {
	for _, p := range s.opt.PBXs {
		for _, a := range p.Addrs {
			if a.Unmap() == peer {
				return p.Name
			}
		}
	}
	return ""
}

// serverFor resolves the PBX of a session (see Options.PBXs).
func (s *Server) serverFor(peer netip.Addr, named string) string {
	if n := s.pbxOf(peer); n != "" {
		return n
	}
	for _, p := range s.opt.PBXs {
		if named != "" && p.Name == named {
			return p.Name
		}
	}
	if named == "" && len(s.opt.PBXs) == 1 {
		return s.opt.PBXs[0].Name
	}
	return ""
}
