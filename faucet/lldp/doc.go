// Package lldp builds and parses LLDP frames (IEEE 802.1AB): Faucet's
// beacons (chassis = the DP's faucet_dp_mac, port ID = the port number as
// text, Faucet's DP ID TLV) and the LLDP-MED TLVs of ANSI/TIA-1057 that tell
// IP phones their voice VLAN, 802.1p priority and DSCP.
//
// Building is a pure function of the configuration; sending and pacing are
// the DP runner's (controller/dp/lldp.go). Parse accepts any bytes from a
// peer: it never panics, allocates in proportion to its input, and reports
// malformed frames as errors.
package lldp
