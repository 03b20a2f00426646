package amisim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Greeting is what Asterisk 22 sends first.
const Greeting = "Asterisk Call Manager/11.0.0"

// Options configure a Server.
type Options struct {
	Username string
	Secret   string
	Logger   *slog.Logger
	// NoTimestamps leaves out the Timestamp field (manager.conf
	// timestampevents = no, Asterisk's default).
	NoTimestamps bool
	// PBXAddr is Asterisk's RTP address (default 10.254.0.1).
	PBXAddr netip.Addr
	// RTPPortBase is the first local RTP port (default 10000).
	RTPPortBase int
	// RTCPInterval: RTCPSent/RTCPReceived per answered leg (default 5 s,
	// negative: none).
	RTCPInterval time.Duration
	// WriteTimeout drops a client whose socket blocks this long (default
	// 100 ms, Asterisk's writetimeout).
	WriteTimeout time.Duration
	// SessionQueue bounds the messages queued for one client (default
	// 1<<20); a client that falls that far behind is dropped.
	SessionQueue int
	// Endpoints gives the RTP address of endpoints dialled by Originate.
	Endpoints map[string]netip.AddrPort
	// OriginateReasons scripts endpoints that Originate does not reach:
	// their OriginateResponse is a Failure with this Reason (Asterisk's
	// AST_CONTROL_* code: 3 no answer, 5 busy, 8 congestion, 0 failed).
	OriginateReasons map[string]int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Stats counts what the server did.
type Stats struct {
	Connections   uint64
	LoginAttempts uint64
	LoginFailures uint64
	Sessions      int // connected now
	CallsPlaced   uint64
	CallsEnded    uint64
	ActiveCalls   int
	EventsSent    uint64 // events written to clients (per client)
	Dropped       uint64 // clients dropped for slowness
	// MaxWriteBlock is the longest single socket write: above
	// WriteTimeout a real Asterisk drops the client.
	MaxWriteBlock time.Duration
}

// Server is a simulated Asterisk AMI server.
type Server struct {
	opt Options
	log *slog.Logger

	mu       sync.Mutex
	sessions map[*session]struct{}
	calls    map[string]*simCall // by Linkedid
	chans    map[string]*simChan // by channel name
	closed   bool
	chanSeq  uint64
	uidSeq   uint64
	agiSeq   uint64
	portSeq  int
	epoch    int64
	timers   sync.WaitGroup // call-phase callbacks in flight

	conns, logins, loginFails, placed, ended, sent, dropped atomic.Uint64
	maxWrite                                                atomic.Int64
}

// New returns a server; run it with Serve.
func New(opt Options) *Server {
	if !opt.PBXAddr.IsValid() {
		opt.PBXAddr = netip.MustParseAddr("10.254.0.1")
	}
	if opt.RTPPortBase == 0 {
		opt.RTPPortBase = 10000
	}
	if opt.RTCPInterval == 0 {
		opt.RTCPInterval = 5 * time.Second
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 100 * time.Millisecond
	}
	if opt.SessionQueue <= 0 {
		opt.SessionQueue = 1 << 20
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{
		opt: opt, log: opt.Logger.With("component", "amisim"),
		sessions: map[*session]struct{}{}, calls: map[string]*simCall{}, chans: map[string]*simChan{},
		epoch: opt.Now().Unix(),
	}
}

func (s *Server) now() time.Time { return s.opt.Now() }

// Serve accepts AMI clients on ln until ctx ends, then closes ln, every
// session and every pending call timer, and waits for their goroutines.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	var err error
	for {
		nc, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil && !errors.Is(aerr, net.ErrClosed) {
				err = aerr
			}
			break
		}
		s.conns.Add(1)
		sess := newSession(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		s.sessions[sess] = struct{}{}
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runSession(ctx, sess)
			s.mu.Lock()
			delete(s.sessions, sess)
			s.mu.Unlock()
		}()
	}
	s.shutdown()
	wg.Wait()
	s.timers.Wait()
	return err
}

// runSession serves one client. A panic on what the client sent ends that
// session, logged, not the simulator.
func (s *Server) runSession(ctx context.Context, sess *session) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("recovered from a panic; closing the session", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			sess.close()
		}
	}()
	sess.run(ctx)
}

// shutdown stops all calls' timers and closes sessions.
func (s *Server) shutdown() {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.calls {
		c.stopTimers(s)
	}
	for sess := range s.sessions {
		sess.close()
	}
	s.mu.Unlock()
}

// DropConnections closes every client connection at once, as a crash or
// network cut would, and returns how many were closed. Calls go on.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for sess := range s.sessions {
		sess.close()
		delete(s.sessions, sess)
		n++
	}
	return n
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	sessions, active := len(s.sessions), len(s.calls)
	s.mu.Unlock()
	return Stats{
		Connections: s.conns.Load(), LoginAttempts: s.logins.Load(), LoginFailures: s.loginFails.Load(),
		Sessions: sessions, CallsPlaced: s.placed.Load(), CallsEnded: s.ended.Load(), ActiveCalls: active,
		EventsSent: s.sent.Load(), Dropped: s.dropped.Load(), MaxWriteBlock: time.Duration(s.maxWrite.Load()),
	}
}

// broadcast queues an event for every logged-in session whose event mask
// includes class. Callers hold s.mu, which keeps event order global.
func (s *Server) broadcast(class eventClass, b []byte) {
	for sess := range s.sessions {
		if sess.wants(class) {
			sess.send(b, true)
		}
	}
}

func (s *Server) noteWrite(d time.Duration) {
	for {
		cur := s.maxWrite.Load()
		if int64(d) <= cur || s.maxWrite.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}
