package controller

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DefaultAddr is the IANA OpenFlow port.
const DefaultAddr = ":6653"

// UnknownPolicy is what the server does with a datapath Accept rejects.
type UnknownPolicy int

const (
	// CloseUnknown closes the connection; the switch will retry.
	CloseUnknown UnknownPolicy = iota
	// IgnoreUnknown keeps the connection up, answering echoes, but never
	// registers the switch, calls the Handler or sends it anything, so a
	// switch that is not (yet) configured does not reconnect in a loop.
	IgnoreUnknown
)

// Server accepts OpenFlow 1.3 switches and runs their sessions. Set the
// fields before calling Serve; the zero value (with a Handler) is usable.
type Server struct {
	// Addr is the listen address of ListenAndServe (default ":6653").
	Addr string
	// Handler receives switch events. Nil ignores them.
	Handler Handler
	// Logger receives session logs (default slog.Default()).
	Logger *slog.Logger
	// EchoInterval is how long a switch may be quiet before it is sent an
	// echo request (default 5s).
	EchoInterval time.Duration
	// EchoTimeout is how long a switch may be silent before it is declared
	// dead and disconnected (default 3 × EchoInterval).
	EchoTimeout time.Duration
	// HandshakeTimeout bounds hello, features and port-desc (default 10s).
	HandshakeTimeout time.Duration
	// Accept, if set, decides whether a datapath id may connect. A
	// rejected switch is logged and then handled as Unknown says.
	Accept func(dpid uint64) bool
	// Unknown is what happens to a switch Accept rejects (default
	// CloseUnknown).
	Unknown UnknownPolicy
	// QueueChunks bounds each switch's send queue in 64 KiB chunks
	// (default 64, i.e. about 4 MiB).
	QueueChunks int
	// MaxPendingPacketIns bounds the packet-ins queued for the Handler per
	// switch; more are dropped and counted (default 1024).
	MaxPendingPacketIns int
	// Hook receives timings; nil discards them.
	Hook TimingHook

	// MaxPendingHandshakes caps the connections still in their handshake
	// (TLS and OpenFlow), from all addresses (default 256).
	// MaxPendingPerAddr caps them per source address (default 32), and
	// MaxConnsPerAddr caps all connections per source address (default
	// 1024). A connection over a cap is closed at once and counted in
	// Stats.Refused; see admit.go.
	MaxPendingHandshakes int
	MaxPendingPerAddr    int
	MaxConnsPerAddr      int

	// TLSConfig, if set, makes every connection TLS (Faucet's
	// --ctl-privkey, --ctl-cert, --ca-certs); ServerTLSConfig builds one
	// that verifies the switch's certificate.
	TLSConfig *tls.Config
	// BindDPID, with TLSConfig, accepts a switch only if its certificate
	// names the datapath id it claims (CertNamesDPID), so that no other
	// certificate holder can claim a configured datapath and push the real
	// switch off.
	BindDPID bool

	// RoleGate puts sessions in team mode (role.go): a session withholds
	// every state-modifying message until RequestRole has made this
	// controller the switch's master, and again once it is fenced or
	// demoted. Off, roles are left alone and the switch treats this
	// controller as EQUAL.
	RoleGate bool
	// RoleChanged, if set, is told when the switch changes this
	// controller's role by itself (another controller became master: an
	// IS_SLAVE error or a role status). It runs on the session's reader
	// and must not block.
	RoleChanged func(sw *Switch, role Role, generation uint64)

	stats     counters
	adm       admission
	refuseLog burstLog
	takeLog   burstLog
	sentRing  int // messages remembered for error reports; tests shrink it

	mu       sync.Mutex
	switches map[uint64]*Switch
	cancel   context.CancelCauseFunc
	ln       net.Listener
	draining chan struct{} // closed by Shutdown
	wg       sync.WaitGroup
}

func (srv *Server) logger() *slog.Logger {
	if srv.Logger == nil {
		return slog.Default().With("component", "controller")
	}
	return srv.Logger
}

func (srv *Server) handler() Handler {
	if srv.Handler == nil {
		return NopHandler{}
	}
	return srv.Handler
}

func (srv *Server) hook() TimingHook {
	if srv.Hook == nil {
		return nopHook{}
	}
	return srv.Hook
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (srv *Server) echoInterval() time.Duration { return orDefault(srv.EchoInterval, 5*time.Second) }
func (srv *Server) echoTimeout() time.Duration {
	return orDefault(srv.EchoTimeout, 3*srv.echoInterval())
}
func (srv *Server) handshakeTimeout() time.Duration {
	return orDefault(srv.HandshakeTimeout, 10*time.Second)
}
func (srv *Server) queueChunks() int  { return orDefault(srv.QueueChunks, 64) }
func (srv *Server) maxPacketIns() int { return orDefault(srv.MaxPendingPacketIns, 1024) }

// Stats returns a snapshot of the server's counters.
func (srv *Server) Stats() Stats { return srv.stats.snapshot() }

// ListenAndServe listens on Addr and calls Serve.
func (srv *Server) ListenAndServe(ctx context.Context) error {
	addr := srv.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	return srv.Serve(ctx, ln)
}

// Serve accepts switches on ln until ctx ends or Shutdown is called, then
// closes ln and every session and returns once all of their goroutines
// (and Handler callbacks) have finished. It returns nil after a shutdown
// and otherwise the error that stopped accepting.
func (srv *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancelCause(ctx)
	srv.mu.Lock()
	if srv.cancel != nil {
		srv.mu.Unlock()
		cancel(nil)
		return errors.New("controller: Serve called twice")
	}
	srv.cancel = cancel
	srv.ln = ln
	srv.draining = make(chan struct{})
	srv.switches = map[uint64]*Switch{}
	srv.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	srv.logger().Info("listening for switches", "addr", ln.Addr().String())

	var err error
	var backoff time.Duration
	failures := 0
	for {
		conn, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil {
				break
			}
			select {
			case <-srv.draining:
				<-ctx.Done() // Shutdown closed ln; it cancels ctx once drained
				continue
			default:
			}
			if errors.Is(aerr, net.ErrClosed) {
				err = fmt.Errorf("controller: accept: %w", aerr)
				break
			}
			// Anything else (EMFILE and ENFILE above all) passes: wait
			// and try again, as net/http does, rather than take the
			// controller down. One line per burst, then one a minute.
			srv.stats.acceptErrors.Add(1)
			failures++
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if failures == 1 || failures%60 == 0 {
				srv.logger().Warn("accept failing; retrying with backoff", "error", aerr, "failures", failures)
			}
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		if failures > 0 {
			srv.logger().Info("accept recovered", "failures", failures)
			failures = 0
		}
		backoff = 0
		sl, reason := srv.admit(conn)
		if sl == nil {
			srv.stats.refused.Add(1)
			srv.refuseLog.log(srv.logger(), slog.LevelWarn, "connection refused: too many",
				"limit", reason, "remote", conn.RemoteAddr().String())
			conn.Close()
			continue
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		srv.wg.Add(1)
		go srv.serveConn(ctx, conn, sl)
	}
	cancel(ErrShutdown)
	ln.Close()
	srv.wg.Wait()
	return err
}

// Shutdown stops accepting, lets each switch's queued messages be written
// and confirmed with a barrier, then closes the sessions. If ctx ends
// first, the sessions are closed at once. Serve returns after Shutdown.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.mu.Lock()
	cancel := srv.cancel
	if cancel != nil {
		select {
		case <-srv.draining:
		default:
			close(srv.draining)
			srv.ln.Close()
		}
	}
	sws := make([]*Switch, 0, len(srv.switches))
	for _, sw := range srv.switches {
		sws = append(sws, sw)
	}
	srv.mu.Unlock()
	if cancel == nil {
		return nil
	}
	var wg sync.WaitGroup
	for _, sw := range sws {
		wg.Go(func() {
			if err := sw.Barrier(ctx); err != nil && ctx.Err() == nil {
				sw.log.Warn("drain before shutdown", "error", err)
			}
		})
	}
	wg.Wait()
	cancel(ErrShutdown)
	return ctx.Err()
}

// Switch returns the connected switch with dpid.
func (srv *Server) Switch(dpid uint64) (*Switch, bool) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	sw, ok := srv.switches[dpid]
	return sw, ok
}

// Switches returns the connected switches.
func (srv *Server) Switches() []*Switch {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	out := make([]*Switch, 0, len(srv.switches))
	for _, sw := range srv.switches {
		out = append(out, sw)
	}
	return out
}

// register makes s the session of its datapath. An older session of the
// same datapath is closed, and register waits until its Disconnected has
// returned, so the Handler sees the old disconnect before the new connect.
func (srv *Server) register(s *Switch) error {
	srv.mu.Lock()
	old := srv.switches[s.DPID()]
	srv.switches[s.DPID()] = s
	srv.mu.Unlock()
	if old != nil {
		// Faucet lets the newest connection of a datapath win, and a switch
		// that reconnects before its old session timed out needs that. But
		// without TLS and BindDPID anyone who can reach the port can take a
		// configured datapath this way: say so loudly and count it.
		srv.stats.takeovers.Add(1)
		bound := srv.TLSConfig != nil && srv.BindDPID
		level := slog.LevelWarn
		if bound {
			level = slog.LevelInfo
		}
		srv.takeLog.log(s.log, level, "new connection takes over the datapath from its previous connection",
			"old", old.RemoteAddr().String(), "new", s.RemoteAddr().String(), "certificate_bound", bound)
		old.cancel(ErrReplaced)
		select {
		case <-old.done:
		case <-s.ctx.Done():
			return context.Cause(s.ctx)
		}
	}
	return nil
}

func (srv *Server) unregister(s *Switch) {
	srv.mu.Lock()
	if srv.switches[s.DPID()] == s {
		delete(srv.switches, s.DPID())
	}
	srv.mu.Unlock()
}
