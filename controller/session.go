package controller

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// handshakeBuf is the reader buffer of a connection in its handshake;
// hello, features reply and echoes fit, and a longer message grows it. The
// 64 KiB buffers of a session are allocated only once the handshake is done,
// so that connections that never finish one cost little.
const handshakeBuf = 512

// serveConn owns one connection from accept to close; sl is its place in
// the admission counts.
func (srv *Server) serveConn(ctx context.Context, conn net.Conn, sl *slot) {
	defer srv.wg.Done()
	defer sl.release()
	log := srv.logger().With("remote", conn.RemoteAddr().String())
	var tlsState *tls.ConnectionState
	if srv.TLSConfig != nil {
		tc := tls.Server(conn, srv.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, srv.handshakeTimeout())
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			srv.stats.rejected.Add(1)
			srv.refuseLog.log(log, slog.LevelWarn, "TLS handshake failed; closing connection", "error", err)
			conn.Close()
			return
		}
		st := tc.ConnectionState()
		tlsState = &st
		conn = tc
	}
	// Unbuffered: the handshake reads exactly its messages, so nothing is
	// left behind in a buffer when the session's reader takes over.
	feat, err := srv.handshake(ctx, conn, wire.NewSmallReader(conn, handshakeBuf))
	if err != nil {
		srv.stats.rejected.Add(1)
		log.Warn("handshake failed; closing connection", "error", err)
		conn.Close()
		return
	}
	log = log.With("dpid", fmt.Sprintf("%016x", feat.DatapathID))
	if err := srv.checkBinding(tlsState, feat.DatapathID); err != nil {
		srv.stats.rejected.Add(1)
		srv.stats.unbound.Add(1)
		log.Warn("datapath claim refused; closing connection", "error", err)
		conn.Close()
		return
	}
	sl.established()
	if srv.Accept != nil && !srv.Accept(feat.DatapathID) {
		srv.stats.rejected.Add(1)
		if srv.Unknown == IgnoreUnknown {
			log.Warn("unknown datapath; ignoring it")
			// An ignored switch keeps the small reader: it is never
			// sent anything that would make it talk much.
			srv.newSwitch(ctx, conn, log, feat).ignore(wire.NewSmallReader(conn, handshakeBuf))
			return
		}
		log.Warn("unknown datapath; closing connection")
		conn.Close()
		return
	}
	sw := srv.newSwitch(ctx, conn, log, feat)
	sw.run(wire.NewReader(bufio.NewReaderSize(conn, 64<<10)))
}

// handshake exchanges hellos and features (OpenFlow 1.3 §6.3.1) under the
// handshake timeout.
func (srv *Server) handshake(ctx context.Context, conn net.Conn, r *wire.Reader) (of13.Features, error) {
	deadline := time.Now().Add(srv.handshakeTimeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(wire.AppendHello(nil, 1)); err != nil {
		return of13.Features{}, fmt.Errorf("send hello: %w", err)
	}
	h, body, err := r.Next()
	if err != nil {
		return of13.Features{}, fmt.Errorf("read hello: %w", err)
	}
	if h.Type != wire.TypeHello {
		return of13.Features{}, fmt.Errorf("%w: first message is %s (version %d), not hello", ErrProtocol, h.Type, h.Version)
	}
	hello, err := wire.DecodeHello(body)
	if err != nil {
		return of13.Features{}, fmt.Errorf("%w: hello: %w", ErrProtocol, err)
	}
	if !wire.Negotiate(h.Version, hello) {
		msg := fmt.Sprintf("voipsdn speaks OpenFlow 1.3 (version 4) only; peer sent version %d, bitmap %#x", h.Version, hello.Bitmap)
		conn.Write(wire.AppendError(nil, h.XID, of13.ErrHelloFailed, of13.CodeHelloIncompatible, []byte(msg)))
		return of13.Features{}, fmt.Errorf("%w: hello version %d, bitmap %#x", ErrIncompatible, h.Version, hello.Bitmap)
	}
	var out []byte
	out = wire.AppendSimple(out, wire.TypeFeaturesRequest, 2, nil)
	out = wire.AppendSetConfig(out, 3, of13.ControllerMaxLen)
	if _, err := conn.Write(out); err != nil {
		return of13.Features{}, fmt.Errorf("send features request: %w", err)
	}
	for {
		h, body, err := r.Next()
		if err != nil {
			return of13.Features{}, fmt.Errorf("read features reply: %w", err)
		}
		if h.Version != wire.Version {
			return of13.Features{}, fmt.Errorf("%w: %s with version %d", ErrProtocol, h.Type, h.Version)
		}
		switch h.Type {
		case wire.TypeFeaturesReply:
			conn.SetDeadline(time.Time{})
			return wire.DecodeFeatures(body)
		case wire.TypeEchoRequest:
			if _, err := conn.Write(wire.AppendSimple(nil, wire.TypeEchoReply, h.XID, body)); err != nil {
				return of13.Features{}, fmt.Errorf("send echo reply: %w", err)
			}
		case wire.TypeError:
			e, err := wire.DecodeError(body)
			if err != nil {
				return of13.Features{}, fmt.Errorf("%w: %w", ErrProtocol, err)
			}
			return of13.Features{}, fmt.Errorf("switch error during handshake: %w", e)
		}
	}
}

func (srv *Server) newSwitch(ctx context.Context, conn net.Conn, log *slog.Logger, feat of13.Features) *Switch {
	sw := &Switch{
		srv:      srv,
		conn:     conn,
		log:      log,
		features: feat,
		track:    newTracker(orDefault(srv.sentRing, defaultSentRing)),
		free:     make(chan *chunk, srv.queueChunks()),
		queue:    make(chan *chunk, srv.queueChunks()),
		spare:    make(chan []byte, warmChunks),
		urgent:   make(chan []byte, 16),
		ports:    map[uint32]of13.Port{},
		events:   newEventQueue(srv.maxPacketIns()),
		done:     make(chan struct{}),
		role:     RoleEqual,
		fenced:   srv.RoleGate,
	}
	for range srv.queueChunks() {
		sw.free <- &chunk{}
	}
	sw.ctx, sw.cancel = context.WithCancelCause(ctx)
	sw.lastRecv.Store(time.Now().UnixNano())
	return sw
}

// run is the session owner: it starts the helpers, fetches the ports,
// takes the datapath's slot in the server, delivers events to the Handler
// and finally tears everything down.
func (s *Switch) run(r *wire.Reader) {
	defer close(s.done)
	srv := s.srv
	stopClose := context.AfterFunc(s.ctx, func() { s.conn.Close() })
	defer stopClose()
	s.wg.Add(3)
	go s.readLoop(r)
	go s.writeLoop()
	go s.keepalive(srv.echoInterval(), srv.echoTimeout())

	pctx, cancel := context.WithTimeout(s.ctx, srv.handshakeTimeout())
	err := s.refreshPorts(pctx)
	cancel()
	if err != nil {
		s.fail(fmt.Errorf("port desc: %w", err))
		s.stop()
		srv.stats.rejected.Add(1)
		return
	}
	if err := srv.register(s); err != nil {
		s.cancel(err)
		s.stop()
		srv.unregister(s)
		srv.stats.rejected.Add(1)
		return
	}
	srv.stats.connects.Add(1)
	srv.stats.connected.Add(1)
	s.log.Info("switch connected", "ports", len(s.Ports()))
	h := srv.handler()
	if q, ok := h.(PacketInQueuer); ok {
		s.queuer.Store(&q)
	}
	s.timed("connected", func() { h.Connected(s.ctx, s) })
	s.dispatch(h)
	s.stop()
	srv.unregister(s)
	srv.stats.connected.Add(-1)
	srv.stats.disconnects.Add(1)
	reason := fmt.Errorf("dp %016x: %w", s.DPID(), context.Cause(s.ctx))
	s.log.Info("switch disconnected", "reason", context.Cause(s.ctx))
	h.Disconnected(s.DPID(), reason)
}

// ignore keeps an unaccepted switch's connection alive until it drops or
// the server stops; its events are discarded.
func (s *Switch) ignore(r *wire.Reader) {
	defer close(s.done)
	stopClose := context.AfterFunc(s.ctx, func() { s.conn.Close() })
	defer stopClose()
	s.wg.Add(3)
	go s.readLoop(r)
	go s.writeLoop()
	go s.keepalive(s.srv.echoInterval(), s.srv.echoTimeout())
	for {
		select {
		case <-s.ctx.Done():
			s.stop()
			s.log.Info("ignored switch disconnected", "reason", context.Cause(s.ctx))
			return
		case <-s.events.ready:
			for {
				if _, ok := s.events.pop(); !ok {
					break
				}
			}
		}
	}
}

// stop ends the session and waits for the helpers.
func (s *Switch) stop() {
	s.cancel(ErrClosed)
	s.conn.Close()
	s.wg.Wait()
	s.track.close(s.closedErr())
}

// dispatch delivers queued events until the session ends.
func (s *Switch) dispatch(h Handler) {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.events.ready:
		}
		for s.ctx.Err() == nil {
			ev, ok := s.events.pop()
			if !ok {
				break
			}
			switch {
			case ev.portStatus != nil:
				s.timed("port_status", func() { h.PortStatus(s.ctx, s, *ev.portStatus) })
			case ev.packetIn != nil:
				s.srv.stats.packetIns.Add(1)
				s.timed("packet_in", func() { h.PacketIn(s.ctx, s, ev.packetIn) })
			case ev.flowRemoved != nil:
				s.timed("flow_removed", func() { h.FlowRemoved(s.ctx, s, ev.flowRemoved) })
			case ev.err != nil:
				s.timed("error", func() { h.Error(s.ctx, s, ev.err) })
			}
		}
	}
}

func (s *Switch) timed(event string, f func()) {
	start := time.Now()
	f()
	s.srv.hook().HandlerDone(s.DPID(), event, time.Since(start))
}
