package controller

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Admission bounds what unauthenticated peers can hold. A connection is
// pending from accept until its OpenFlow handshake (and TLS, if any) is
// done; pending connections are capped globally and per source address,
// and all connections (pending or not) per source address. A connection
// over a cap is closed at once, before any buffer or goroutine is spent
// on it.
//
// The defaults leave room for a rack of switches starting together behind
// one address (a host running many OVS bridges) while keeping a flood
// from one address to a few MB.
const (
	defaultMaxPending        = 256
	defaultMaxPendingPerAddr = 32
	defaultMaxConnsPerAddr   = 1024
)

// Refusal reasons, as counted in Stats.Refused and logged.
const (
	refusedPending     = "pending handshakes"
	refusedPendingAddr = "pending handshakes from address"
	refusedConnsAddr   = "connections from address"
)

func (srv *Server) maxPending() int { return orDefault(srv.MaxPendingHandshakes, defaultMaxPending) }
func (srv *Server) maxPendingPerAddr() int {
	return orDefault(srv.MaxPendingPerAddr, defaultMaxPendingPerAddr)
}
func (srv *Server) maxConnsPerAddr() int {
	return orDefault(srv.MaxConnsPerAddr, defaultMaxConnsPerAddr)
}

// admission is the server's count of connections by state and address.
type admission struct {
	mu      sync.Mutex
	pending int
	byAddr  map[netip.Addr]*addrCount
}

type addrCount struct{ pending, total int }

// slot is one admitted connection's place in the counts.
type slot struct {
	srv     *Server
	addr    netip.Addr
	pending bool
}

// remoteIP is the source address a connection is counted under.
func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{} // not IP (tests over pipes): one shared bucket
}

// admit counts a new connection as pending, or returns the cap it would
// exceed.
func (srv *Server) admit(c net.Conn) (*slot, string) {
	a := &srv.adm
	ip := remoteIP(c)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byAddr == nil {
		a.byAddr = map[netip.Addr]*addrCount{}
	}
	n := a.byAddr[ip]
	if n == nil {
		n = &addrCount{}
	}
	switch {
	case a.pending >= srv.maxPending():
		return nil, refusedPending
	case n.pending >= srv.maxPendingPerAddr():
		return nil, refusedPendingAddr
	case n.total >= srv.maxConnsPerAddr():
		return nil, refusedConnsAddr
	}
	a.byAddr[ip] = n
	a.pending++
	n.pending++
	n.total++
	return &slot{srv: srv, addr: ip, pending: true}, ""
}

// established moves the connection out of the pending counts.
func (s *slot) established() {
	a := &s.srv.adm
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.pending {
		s.pending = false
		a.pending--
		a.byAddr[s.addr].pending--
	}
}

// release forgets the connection; it is called once, when it closes.
func (s *slot) release() {
	s.established()
	a := &s.srv.adm
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.byAddr[s.addr]
	n.total--
	if n.total == 0 {
		delete(a.byAddr, s.addr)
	}
}

// pendingCount reports the pending handshakes (tests).
func (srv *Server) pendingCount() int {
	srv.adm.mu.Lock()
	defer srv.adm.mu.Unlock()
	return srv.adm.pending
}

// burstLog logs the first of a burst of like events and then at most one
// line per interval, with how many were not logged in between, so that a
// flood cannot flood the log too.
type burstLog struct {
	mu         sync.Mutex
	interval   time.Duration
	last       time.Time
	suppressed int
}

// log logs msg unless a line went out less than interval ago.
func (b *burstLog) log(l *slog.Logger, level slog.Level, msg string, args ...any) {
	b.mu.Lock()
	now := time.Now()
	if !b.last.IsZero() && now.Sub(b.last) < b.interval {
		b.suppressed++
		b.mu.Unlock()
		return
	}
	n := b.suppressed
	b.last, b.suppressed = now, 0
	b.mu.Unlock()
	if n > 0 {
		args = append(args, "not_logged_since_last", n)
	}
	l.Log(context.Background(), level, msg, args...)
}
