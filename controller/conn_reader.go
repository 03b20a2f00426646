package controller

import (
	"errors"
	"fmt"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// readLoop decodes messages in arrival order until the connection fails
// or a message is malformed; either ends the session.
func (s *Switch) readLoop(r *wire.Reader) {
	defer s.wg.Done()
	for {
		h, body, err := r.Next()
		if err != nil {
			s.fail(fmt.Errorf("read: %w", err))
			return
		}
		s.lastRecv.Store(time.Now().UnixNano())
		if h.Version != wire.Version {
			s.fail(fmt.Errorf("%w: %s xid %d with version %d", ErrProtocol, h.Type, h.XID, h.Version))
			return
		}
		if err := s.handle(h, body); err != nil {
			s.fail(fmt.Errorf("%w: %s xid %d: %w", ErrProtocol, h.Type, h.XID, err))
			return
		}
	}
}

// fail ends the session with cause, unless it has already ended.
func (s *Switch) fail(cause error) {
	if s.ctx.Err() == nil {
		s.log.Warn("disconnecting switch", "error", cause)
	}
	s.cancel(cause)
}

// handle processes one message. body is only valid during the call.
func (s *Switch) handle(h wire.Header, body []byte) error {
	switch h.Type {
	case wire.TypeEchoRequest:
		s.sendUrgent(wire.AppendSimple(nil, wire.TypeEchoReply, h.XID, body))
	case wire.TypeEchoReply:
		// lastRecv is all that matters.
	case wire.TypeBarrierReply:
		if s.track.waiterFor(h.XID, wire.TypeBarrierReply) != nil {
			s.track.complete(h.XID, nil)
		}
	case wire.TypeMultipartReply:
		r, err := wire.DecodeMultipartReply(body)
		if err != nil {
			return err
		}
		last, err := s.addPart(h.XID, r)
		if err != nil {
			s.track.complete(h.XID, fmt.Errorf("dp %016x: %w", s.DPID(), err))
			return err
		}
		if last {
			s.track.complete(h.XID, nil)
		}
	case wire.TypeRoleReply:
		if w := s.track.waiterFor(h.XID, wire.TypeRoleReply); w != nil {
			w.body = append([]byte(nil), body...)
			s.track.complete(h.XID, nil)
		}
	case wire.TypeExperimenter:
		rs, ok, err := wire.DecodeONFRoleStatus(body)
		if err != nil {
			return err
		}
		if ok && Role(rs.Role) == RoleSlave {
			s.demoted(rs.Generation, "role status: another controller is master")
		} else if !ok {
			s.log.Debug("ignoring experimenter message", "xid", h.XID, "len", h.Length)
		}
	case wire.TypeError:
		return s.handleError(h.XID, body)
	case wire.TypePortStatus:
		ps, err := wire.DecodePortStatus(body)
		if err != nil {
			return err
		}
		s.portsMu.Lock()
		if ps.Reason == of13.PortDeleted {
			delete(s.ports, ps.Port.No)
		} else {
			s.ports[ps.Port.No] = ps.Port
		}
		s.portsMu.Unlock()
		s.events.push(event{portStatus: &ps})
	case wire.TypePacketIn:
		pi, err := wire.DecodePacketIn(body)
		if err != nil {
			return err
		}
		if q := s.queuer.Load(); q != nil {
			s.srv.stats.packetIns.Add(1)
			s.timed("packet_in", func() { (*q).QueuePacketIn(s, pi) })
			return nil
		}
		if !s.events.push(event{packetIn: pi}) {
			s.srv.stats.packetInsDropped.Add(1)
		}
	case wire.TypeFlowRemoved:
		fr, err := wire.DecodeFlowRemoved(body)
		if err != nil {
			return err
		}
		s.events.push(event{flowRemoved: fr})
	case wire.TypeHello:
		return fmt.Errorf("second hello")
	default:
		s.log.Debug("ignoring message", "type", h.Type.String(), "xid", h.XID, "len", h.Length)
	}
	return nil
}

// handleError attributes an error message to what caused it.
func (s *Switch) handleError(xid uint32, body []byte) error {
	e, err := wire.DecodeError(body)
	if err != nil {
		return err
	}
	s.srv.stats.errors.Add(1)
	ofe := &OFError{DPID: s.DPID(), XID: xid, Err: e}
	w, summary, known := s.track.lookup(xid)
	ofe.Request = summary
	s.srv.hook().OFError(s.DPID(), ofe)
	if errors.Is(e, ErrIsSlave) {
		s.demoted(0, "the switch refused a message with OFPBRC_IS_SLAVE")
	}
	switch {
	case w != nil:
		ofe.Request = w.want.String()
		if w.want == wire.TypeMultipartReply {
			ofe.Request = fmt.Sprintf("multipart request type %d", w.mpType)
		}
		if w.want == wire.TypeRoleReply {
			ofe.Request = wire.TypeRoleRequest.String()
		}
		s.track.complete(xid, ofe)
	case known:
		s.log.Warn("switch rejected a message", "error", ofe.Error())
		s.track.batchError(ofe)
	default:
		s.log.Warn("unsolicited error from switch", "error", ofe.Error())
		s.events.push(event{err: ofe})
	}
	return nil
}

// sendUrgent queues a small control message ahead of the bulk queue, or
// drops it if even that is full (the peer will ask again).
func (s *Switch) sendUrgent(b []byte) {
	select {
	case s.urgent <- b:
	default:
		s.log.Debug("urgent queue full; dropping echo")
	}
}
