package metrics

import (
	"strconv"
)

// Label names, as Faucet spells them (REQUIRED_LABELS and port_labels in
// faucet/dp.py).
const (
	LabelDPID            = "dp_id"
	LabelDPName          = "dp_name"
	LabelPort            = "port"
	LabelPortDescription = "port_description"
	LabelVLAN            = "vlan"
)

// DPID formats a datapath ID the way Faucet labels it: Python's hex(),
// lower case with a 0x prefix and no padding ("0x1", "0xe01").
func DPID(id uint64) string {
	return "0x" + strconv.FormatUint(id, 16)
}

// Special OpenFlow port numbers that Faucet names in port labels.
const (
	portController = 0xfffffffd
	portLocal      = 0xfffffffe
)

// PortName is the port label Faucet uses for a port that has no configured
// name: the number in decimal, or CONTROLLER / LOCAL for the reserved ports.
func PortName(no uint32) string {
	switch no {
	case portController:
		return "CONTROLLER"
	case portLocal:
		return "LOCAL"
	}
	return strconv.FormatUint(uint64(no), 10)
}
