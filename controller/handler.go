package controller

import (
	"context"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Handler receives one switch's events, sequentially, on the goroutine that
// owns the session (see the package doc). A callback may call any Switch
// method, including Send and Barrier; while it runs, later events of that
// switch wait (packet-ins beyond a bound are dropped). ctx is the session's
// context: it ends when the switch disconnects.
type Handler interface {
	// Connected is called once the handshake is done and the port table
	// is filled. Typically it replays the switch's desired state.
	Connected(ctx context.Context, sw *Switch)
	// Disconnected is called once per Connected, after the session has
	// stopped; reason wraps one of the Err* values or an I/O error.
	Disconnected(dpid uint64, reason error)
	// PortStatus reports a port added, deleted or changed. sw.Ports
	// already reflects it.
	PortStatus(ctx context.Context, sw *Switch, ev of13.PortStatus)
	// PacketIn delivers a packet sent to the controller.
	PacketIn(ctx context.Context, sw *Switch, pkt *of13.PacketIn)
	// FlowRemoved reports a flow removed with send_flow_rem set.
	FlowRemoved(ctx context.Context, sw *Switch, fr *of13.FlowRemoved)
	// Error reports an OpenFlow error that matches no message sent
	// through this session. Errors caused by sent messages are returned by
	// Barrier and by the request that failed instead.
	Error(ctx context.Context, sw *Switch, err *OFError)
}

// PacketInQueuer is implemented by a Handler that only queues packet-ins
// for goroutines of its own and never blocks doing so. The session then
// hands it each packet-in on the reader goroutine as soon as it is decoded
// (once Connected has been called), instead of through the session's event
// queue and PacketIn: at packet-in rates the saved goroutine hand-off is a
// good part of the controller's latency. Such packet-ins may overtake port
// status events received before them.
type PacketInQueuer interface {
	QueuePacketIn(sw *Switch, pkt *of13.PacketIn)
}

// NopHandler ignores every event; embed it to implement only some methods.
type NopHandler struct{}

// Connected implements Handler.
func (NopHandler) Connected(context.Context, *Switch) {}

// Disconnected implements Handler.
func (NopHandler) Disconnected(uint64, error) {}

// PortStatus implements Handler.
func (NopHandler) PortStatus(context.Context, *Switch, of13.PortStatus) {}

// PacketIn implements Handler.
func (NopHandler) PacketIn(context.Context, *Switch, *of13.PacketIn) {}

// FlowRemoved implements Handler.
func (NopHandler) FlowRemoved(context.Context, *Switch, *of13.FlowRemoved) {}

// Error implements Handler.
func (NopHandler) Error(context.Context, *Switch, *OFError) {}
