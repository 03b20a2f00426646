package app

import (
	"context"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/controller/stats"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// handler is the session layer's Handler: the DP manager, plus the stats
// poller, which polls each switch for as long as its session lasts.
type handler struct {
	controller.Handler // the DP manager
	a                  *App
}

// Connected lets the DP manager reconcile the switch, then starts polling
// its statistics until the session ends (ctx is the session's context).
//
// In a team the switch goes to the team instead, which hands it to the DP
// manager only once this instance is its master.
func (h handler) Connected(ctx context.Context, sw *controller.Switch) {
	if h.a.team != nil {
		h.a.team.t.Attach(ctx, sw)
	} else {
		h.Handler.Connected(ctx, sw)
	}
	cfg := h.a.mgr.Config()
	if cfg == nil {
		return
	}
	d := cfg.DPByID(sw.DPID())
	if d == nil {
		return
	}
	prog, _, _ := h.a.mgr.Program(ctx, d.ID)
	t := stats.Target{
		DPID: d.ID, DPName: d.Name, Switch: stats.Session(sw),
		PortLabels: func(port uint32) (string, string) {
			if p := d.Port(port); p != nil {
				return p.Name, p.Description
			}
			return "", ""
		},
		CallMeter: func(id uint32) bool {
			return id >= qos.MeterIDBase && id < qos.MeterIDBase+qos.MeterIDCount
		},
	}
	if prog != nil {
		tables := prog.Tables
		t.TableName = func(id uint8) string {
			if int(id) < tables.Len() {
				return tables.Name(id)
			}
			return ""
		}
	}
	h.a.wg.Go(func() { _ = h.a.poller.Run(ctx, t) })
}

// QueuePacketIn hands packet-ins to the DP manager straight from the
// session's reader (controller.PacketInQueuer).
func (h handler) QueuePacketIn(sw *controller.Switch, pkt *of13.PacketIn) {
	if h.a.master(sw.DPID()) {
		h.a.mgr.QueuePacketIn(sw, pkt)
	}
}

// PacketIn goes to the DP manager only while it holds the switch.
func (h handler) PacketIn(ctx context.Context, sw *controller.Switch, pkt *of13.PacketIn) {
	if h.a.master(sw.DPID()) {
		h.Handler.PacketIn(ctx, sw, pkt)
	}
}

// FlowRemoved goes to the DP manager (and on to the voice service) only
// while it holds the switch: a standby acts on no per-call flow.
func (h handler) FlowRemoved(ctx context.Context, sw *controller.Switch, fr *of13.FlowRemoved) {
	if h.a.master(sw.DPID()) {
		h.Handler.FlowRemoved(ctx, sw, fr)
	}
}

// Disconnected ends the team's campaign for the switch (fencing and
// demoting it first if this instance was master), then tells the DP
// manager.
func (h handler) Disconnected(dpid uint64, reason error) {
	if h.a.team != nil {
		h.a.team.t.Detach(dpid)
	}
	h.Handler.Disconnected(dpid, reason)
}

// PortStatus tells the DP manager and the poller.
func (h handler) PortStatus(ctx context.Context, sw *controller.Switch, ev of13.PortStatus) {
	if h.a.master(sw.DPID()) {
		h.Handler.PortStatus(ctx, sw, ev)
	}
	h.a.poller.PortStatus(sw.DPID(), uint8(ev.Reason), stats.PortDesc{
		Port: ev.Port.No, State: ev.Port.State, CurrSpeed: ev.Port.CurrSpeed, MaxSpeed: ev.Port.MaxSpeed,
	})
}
