package of13

import (
	"net"
	"strconv"
)

// Port config bits (OFPPC_*).
const (
	PortConfigDown       uint32 = 1 << 0
	PortConfigNoRecv     uint32 = 1 << 2
	PortConfigNoFwd      uint32 = 1 << 5
	PortConfigNoPacketIn uint32 = 1 << 6
)

// Port state bits (OFPPS_*).
const (
	PortStateLinkDown uint32 = 1 << 0
	PortStateBlocked  uint32 = 1 << 1
	PortStateLive     uint32 = 1 << 2
)

// Port is a switch port's description (ofp_port, §7.2.1).
type Port struct {
	No         uint32
	HWAddr     net.HardwareAddr
	Name       string
	Config     uint32
	State      uint32
	Curr       uint32
	Advertised uint32
	Supported  uint32
	Peer       uint32
	CurrSpeed  uint32 // kbps
	MaxSpeed   uint32 // kbps
}

// Up reports whether the port is administratively up and has link.
func (p *Port) Up() bool {
	return p.Config&PortConfigDown == 0 && p.State&PortStateLinkDown == 0
}

// String renders the port for logs.
func (p *Port) String() string {
	s := strconv.FormatUint(uint64(p.No), 10) + "(" + p.Name + ")"
	if !p.Up() {
		s += " down"
	}
	return s
}

// PortReason is why a port-status message was sent (OFPPR_*).
type PortReason uint8

// Port-status reasons.
const (
	PortAdded    PortReason = 0
	PortDeleted  PortReason = 1
	PortModified PortReason = 2
)

// String implements fmt.Stringer.
func (r PortReason) String() string {
	switch r {
	case PortAdded:
		return "add"
	case PortDeleted:
		return "delete"
	case PortModified:
		return "modify"
	}
	return "reason" + strconv.Itoa(int(r))
}

// PortStatus is a port-status message: a port was added, removed or changed.
type PortStatus struct {
	Reason PortReason
	Port   Port
}
