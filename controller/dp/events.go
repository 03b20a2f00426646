package dp

import (
	"net"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Events receives a DP's events as they happen, for event counters
// (controller/metrics' of_packet_ins_total and friends). The DP package
// knows nothing of Prometheus: the program adapts this interface.
// Methods are called from session and DP goroutines, possibly
// concurrently, and must not block.
type Events interface {
	// DPAdded and DPRemoved bracket a DP's life in the configuration.
	DPAdded(dpid uint64, name string)
	DPRemoved(dpid uint64, name string)
	// PacketIn counts every packet-in; dropped says it was not acted on
	// (unparseable, ignored by the pipeline, over its rate or queue).
	PacketIn(dpid uint64, c Class, dropped bool)
	// PacketInDone reports how long a batch of packet-ins took to handle.
	PacketInDone(dpid uint64, d time.Duration)
	// FlowMods counts flow-mods sent.
	FlowMods(dpid uint64, n int)
	// Connected and Disconnected count switch sessions.
	Connected(dpid uint64)
	Disconnected(dpid uint64)
	// Reconfigured counts configuration changes applied without a
	// reconnect (Faucet's warm reloads).
	Reconfigured(dpid uint64)
}

// noEvents discards events.
type noEvents struct{}

func (noEvents) DPAdded(uint64, string)             {}
func (noEvents) DPRemoved(uint64, string)           {}
func (noEvents) PacketIn(uint64, Class, bool)       {}
func (noEvents) PacketInDone(uint64, time.Duration) {}
func (noEvents) FlowMods(uint64, int)               {}
func (noEvents) Connected(uint64)                   {}
func (noEvents) Disconnected(uint64)                {}
func (noEvents) Reconfigured(uint64)                {}

// HostEvents, when Options.Events also implements it, is told of host
// learning and port changes, the events Faucet writes to its event socket
// (L2_LEARN, L2_EXPIRE, PORT_CHANGE). Called from DP goroutines; must not
// block.
type HostEvents interface {
	// HostLearned: mac was learned (or moved, prevPort != 0) on port;
	// ip is the packet's sender address, if it had one.
	HostLearned(dpid uint64, port, prevPort uint32, vid uint16, mac net.HardwareAddr, ip netip.Addr)
	// HostExpired: mac's entry on port timed out.
	HostExpired(dpid uint64, port uint32, vid uint16, mac net.HardwareAddr)
	// PortChanged: a port-status message arrived.
	PortChanged(dpid uint64, ev of13.PortStatus)
}
