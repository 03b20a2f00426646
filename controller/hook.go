package controller

import (
	"sync/atomic"
	"time"
)

// TimingHook receives measurements from the session layer so that metrics
// can be exported without this package importing a metrics library. Methods
// are called from session goroutines, concurrently for different switches,
// and must return quickly.
type TimingHook interface {
	// QueueWait is how long a Send or request waited for room in the
	// bounded send queue; it is called for every chunk taken, with 0 when
	// there was room at once.
	QueueWait(dpid uint64, d time.Duration)
	// BatchWritten reports one write syscall carrying msgs messages.
	BatchWritten(dpid uint64, msgs, bytes int, d time.Duration)
	// OFError reports every OpenFlow error a switch sent.
	OFError(dpid uint64, err *OFError)
	// HandlerDone reports how long a Handler callback took; event is
	// "connected", "port_status", "packet_in", "flow_removed" or "error".
	HandlerDone(dpid uint64, event string, d time.Duration)
}

// Stats is a snapshot of the server's counters since it started.
type Stats struct {
	Connected        int    // sessions currently up
	Connects         uint64 // handshakes completed
	Disconnects      uint64 // sessions ended after a handshake
	Rejected         uint64 // connections closed before or at the handshake
	PacketIns        uint64 // packet-ins delivered to the handler
	PacketInsDropped uint64 // packet-ins dropped because the handler lagged
	FlowMods         uint64 // flow-mods written
	MessagesSent     uint64 // all messages written
	Writes           uint64 // write syscalls
	BytesSent        uint64
	Errors           uint64 // OpenFlow error messages received
	AcceptErrors     uint64 // failed accepts (EMFILE, ENFILE...), each retried
	Refused          uint64 // connections closed at accept: over a cap (admit.go)
	Takeovers        uint64 // sessions replaced by a new connection claiming the same datapath
	BindingRefused   uint64 // TLS switches whose certificate did not name their datapath id
	Withheld         uint64 // messages not sent because this controller was not master (team mode)
}

// counters are the live values behind Stats.
type counters struct {
	connected, connects, disconnects, rejected  atomic.Int64
	packetIns, packetInsDropped, flowMods, msgs atomic.Uint64
	writes, bytes, errors                       atomic.Uint64
	acceptErrors, refused, takeovers, unbound   atomic.Uint64
	withheld                                    atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Connected: int(c.connected.Load()), Connects: uint64(c.connects.Load()),
		Disconnects: uint64(c.disconnects.Load()), Rejected: uint64(c.rejected.Load()),
		PacketIns: c.packetIns.Load(), PacketInsDropped: c.packetInsDropped.Load(),
		FlowMods: c.flowMods.Load(), MessagesSent: c.msgs.Load(), Writes: c.writes.Load(),
		BytesSent: c.bytes.Load(), Errors: c.errors.Load(),
		AcceptErrors: c.acceptErrors.Load(), Refused: c.refused.Load(),
		Takeovers: c.takeovers.Load(), BindingRefused: c.unbound.Load(),
		Withheld: uint64(c.withheld.Load()),
	}
}

type nopHook struct{}

func (nopHook) QueueWait(uint64, time.Duration)              {}
func (nopHook) BatchWritten(uint64, int, int, time.Duration) {}
func (nopHook) OFError(uint64, *OFError)                     {}
func (nopHook) HandlerDone(uint64, string, time.Duration)    {}
