package netevents

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/internal/eventbus"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Faucet's event bodies. Field names are Faucet's (faucet/valve.py at
// faucetsdn/faucet HEAD): L2Learn from Valve.learn_host_from_pkt's
// l2_learn_msg, L2Expire from Valve._update_expired_host (the L2_EXPIRE
// notify), PortChange from Valve.port_status_handler, DPChange from
// Valve.datapath_connect/_cold_start and datapath_disconnect, ConfigChange
// from Valve._apply_config_changes.

// L2Learn is the body of an L2_LEARN record.
type L2Learn struct {
	PortNo uint32 `json:"port_no"`
	// PreviousPortNo is null for a new host, the old port for a move.
	PreviousPortNo *uint32 `json:"previous_port_no"`
	Vid            uint16  `json:"vid"`
	EthSrc         string  `json:"eth_src"`
	// EthDst and EthType are the learning packet's; voipsdn's learning
	// path does not keep them, so they are "" and 0.
	EthDst  string `json:"eth_dst"`
	EthType int    `json:"eth_type"`
	// L3SrcIP is the sender's address; "None" (Python's str(None), as
	// Faucet writes it) when the packet had none. L3DstIP is always "None".
	L3SrcIP string `json:"l3_src_ip"`
	L3DstIP string `json:"l3_dst_ip"`
}

// L2Expire is the body of an L2_EXPIRE record.
type L2Expire struct {
	PortNo uint32 `json:"port_no"`
	Vid    uint16 `json:"vid"`
	EthSrc string `json:"eth_src"`
}

// PortChange is the body of a PORT_CHANGE record.
type PortChange struct {
	PortNo uint32 `json:"port_no"`
	Reason string `json:"reason"` // ADD, DELETE, MODIFY
	State  uint32 `json:"state"`  // ofp_port state bits
	Status bool   `json:"status"` // link up (OFPPS_LINK_DOWN not set)
}

// DPChange is the body of a DP_CHANGE record.
type DPChange struct {
	Reason string `json:"reason"` // cold_start, disconnect
}

// ConfigChange is the body of a CONFIG_CHANGE record.
type ConfigChange struct {
	RestartType string `json:"restart_type"` // new, warm
}

// DPEvents is a dp.Events (and dp.HostEvents) that passes every event to
// Next and publishes Faucet's records on Bus.
type DPEvents struct {
	Next dp.Events
	Bus  *eventbus.Bus
	Now  func() time.Time

	mu    sync.RWMutex
	names map[uint64]string
}

var (
	_ dp.Events     = (*DPEvents)(nil)
	_ dp.HostEvents = (*DPEvents)(nil)
)

// NewDPEvents wraps next.
func NewDPEvents(next dp.Events, bus *eventbus.Bus) *DPEvents {
	return &DPEvents{Next: next, Bus: bus, Now: time.Now, names: map[uint64]string{}}
}

func (e *DPEvents) publish(dpid uint64, typ string, body any) {
	e.mu.RLock()
	name, ok := e.names[dpid]
	e.mu.RUnlock()
	if !ok {
		name = strconv.FormatUint(dpid, 10)
	}
	e.Bus.Publish(eventbus.Record{Time: e.Now(), DPID: dpid, DPName: name, Type: typ, Body: body})
}

// DPAdded implements dp.Events.
func (e *DPEvents) DPAdded(id uint64, name string) {
	e.mu.Lock()
	e.names[id] = name
	e.mu.Unlock()
	e.Next.DPAdded(id, name)
	e.publish(id, "CONFIG_CHANGE", ConfigChange{RestartType: "new"})
}

// DPRemoved implements dp.Events.
func (e *DPEvents) DPRemoved(id uint64, name string) {
	e.Next.DPRemoved(id, name)
	e.mu.Lock()
	delete(e.names, id)
	e.mu.Unlock()
}

// PacketIn implements dp.Events.
func (e *DPEvents) PacketIn(id uint64, c dp.Class, dropped bool) { e.Next.PacketIn(id, c, dropped) }

// PacketInDone implements dp.Events.
func (e *DPEvents) PacketInDone(id uint64, d time.Duration) { e.Next.PacketInDone(id, d) }

// FlowMods implements dp.Events.
func (e *DPEvents) FlowMods(id uint64, n int) { e.Next.FlowMods(id, n) }

// Connected implements dp.Events: Faucet reports a connect as a cold start.
func (e *DPEvents) Connected(id uint64) {
	e.Next.Connected(id)
	e.publish(id, "DP_CHANGE", DPChange{Reason: "cold_start"})
}

// Disconnected implements dp.Events.
func (e *DPEvents) Disconnected(id uint64) {
	e.Next.Disconnected(id)
	e.publish(id, "DP_CHANGE", DPChange{Reason: "disconnect"})
}

// Reconfigured implements dp.Events.
func (e *DPEvents) Reconfigured(id uint64) {
	e.Next.Reconfigured(id)
	e.publish(id, "CONFIG_CHANGE", ConfigChange{RestartType: "warm"})
}

// HostLearned implements dp.HostEvents.
func (e *DPEvents) HostLearned(id uint64, port, prev uint32, vid uint16, mac net.HardwareAddr, ip netip.Addr) {
	b := L2Learn{PortNo: port, Vid: vid, EthSrc: mac.String(), L3SrcIP: "None", L3DstIP: "None"}
	if prev != 0 {
		b.PreviousPortNo = &prev
	}
	if ip.IsValid() {
		b.L3SrcIP = ip.String()
	}
	e.publish(id, "L2_LEARN", b)
}

// HostExpired implements dp.HostEvents.
func (e *DPEvents) HostExpired(id uint64, port uint32, vid uint16, mac net.HardwareAddr) {
	e.publish(id, "L2_EXPIRE", L2Expire{PortNo: port, Vid: vid, EthSrc: mac.String()})
}

// PortChanged implements dp.HostEvents.
func (e *DPEvents) PortChanged(id uint64, ev of13.PortStatus) {
	reason := "UNKNOWN"
	switch ev.Reason {
	case of13.PortAdded:
		reason = "ADD"
	case of13.PortDeleted:
		reason = "DELETE"
	case of13.PortModified:
		reason = "MODIFY"
	}
	e.publish(id, "PORT_CHANGE", PortChange{PortNo: ev.Port.No, Reason: reason, State: ev.Port.State,
		Status: ev.Port.State&of13.PortStateLinkDown == 0})
}
