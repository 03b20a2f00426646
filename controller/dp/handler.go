package dp

import (
	"context"
	"errors"
	"fmt"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// The Manager is the session layer's Handler. The session calls it on the
// switch's own goroutine, one event at a time, so handing each event to the
// DP's goroutine and waiting keeps the events in order; packet-ins are
// queued without waiting.
var _ controller.Handler = (*Manager)(nil)

// Accepts reports whether dpid is configured; the session layer's
// Server.Accept uses it to refuse unknown switches after the handshake.
func (m *Manager) Accepts(dpid uint64) bool {
	if m.runner(dpid) != nil {
		return true
	}
	m.log.Warn("switch with unconfigured datapath ID refused", "dpid", fmt.Sprintf("%#x", dpid))
	return false
}

// Connected implements controller.Handler: it reconciles the switch.
func (m *Manager) Connected(ctx context.Context, sw *controller.Switch) {
	m.SwitchConnected(ctx, session{sw})
}

// Disconnected implements controller.Handler.
func (m *Manager) Disconnected(dpid uint64, reason error) {
	r := m.runner(dpid)
	if r == nil {
		return
	}
	r.log.Info("switch disconnected", "reason", reason)
	m.stack.setLive(r.cfg.Load().Name, false)
	_ = r.do(m.runCtx, func(context.Context) error { r.disconnect(); return nil })
}

// PortStatus implements controller.Handler.
func (m *Manager) PortStatus(ctx context.Context, sw *controller.Switch, ev of13.PortStatus) {
	m.SwitchPortStatus(ctx, session{sw}, ev)
}

// PacketIn implements controller.Handler.
func (m *Manager) PacketIn(_ context.Context, sw *controller.Switch, pkt *of13.PacketIn) {
	m.SwitchPacketIn(session{sw}, pkt)
}

// QueuePacketIn implements controller.PacketInQueuer: SwitchPacketIn never
// blocks, so the session may call it from its reader.
func (m *Manager) QueuePacketIn(sw *controller.Switch, pkt *of13.PacketIn) {
	m.SwitchPacketIn(session{sw}, pkt)
}

// FlowRemoved implements controller.Handler. Learned hosts expire on the
// controller's clock, so a flow timing out on the switch needs no action:
// its host is relearned (and the flow re-added) at its next packet-in.
// Others (per-call flows) are passed to Options.FlowRemoved.
func (m *Manager) FlowRemoved(ctx context.Context, sw *controller.Switch, fr *of13.FlowRemoved) {
	if m.opts.FlowRemoved != nil {
		m.opts.FlowRemoved(ctx, sw.DPID(), fr)
	}
}

// Error implements controller.Handler.
func (m *Manager) Error(_ context.Context, sw *controller.Switch, err *controller.OFError) {
	m.log.Warn("switch reported an error", "dpid", fmt.Sprintf("%#x", sw.DPID()), "err", err)
}

// SwitchConnected takes over a switch that completed its handshake and
// reconciles it, returning when the switch's tables are in sync. A switch
// whose datapath ID is not configured is logged and closed.
func (m *Manager) SwitchConnected(ctx context.Context, sw Switch) {
	r := m.runner(sw.ID())
	if r == nil {
		m.log.Warn("switch with unconfigured datapath ID; closing", "dpid", fmt.Sprintf("%#x", sw.ID()))
		_ = sw.Close()
		return
	}
	r.log.Info("switch connected")
	err := r.do(ctx, func(ctx context.Context) error { return r.connect(ctx, sw) })
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			r.log.Error("reconciling the switch failed", "err", err)
		}
		return
	}
	m.stack.setLive(r.cfg.Load().Name, true)
	if m.opts.SwitchUp != nil {
		m.opts.SwitchUp(ctx, sw.ID())
	}
}

// SwitchPortStatus records a port change. A port that goes down or away
// loses its learned hosts (as in Faucet), so they are relearned wherever
// they reappear.
func (m *Manager) SwitchPortStatus(ctx context.Context, sw Switch, ev of13.PortStatus) {
	r := m.runner(sw.ID())
	if r == nil {
		return
	}
	r.log.Info("port status", "port", ev.Port.String(), "reason", ev.Reason.String())
	m.lldpLink(ctx, r, ev)
	if he, ok := m.opts.Events.(HostEvents); ok {
		he.PortChanged(sw.ID(), ev)
	}
	no, up := ev.Port.No, ev.Reason != of13.PortDeleted && ev.Port.Up()
	if !up {
		m.stackLinkDown(r, no)
	}
	if r.isLACPPort(no) {
		_ = r.do(ctx, func(ctx context.Context) error { r.lacpPortStatus(ctx, no, up); return nil })
	}
	if up {
		return
	}
	if err := r.do(ctx, func(ctx context.Context) error { return r.portDown(ctx, no) }); err != nil {
		r.log.Warn("forgetting the hosts of a port failed", "port", no, "err", err)
	}
}

// SwitchPacketIn queues a packet-in for its DP. It never blocks: packets
// over their class's rate or queue bound are counted and dropped.
func (m *Manager) SwitchPacketIn(sw Switch, pi *of13.PacketIn) {
	if r := m.runner(sw.ID()); r != nil {
		r.enqueue(m.opts.Clock.Now(), pi)
	}
}
