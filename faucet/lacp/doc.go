// Package lacp holds voipsdn's Link Aggregation Control Protocol: the
// LACPDU codec (IEEE 802.1AX, slow protocols 01:80:c2:00:00:02, ethertype
// 0x8809, subtype 1) and the per-port state machine Faucet runs for ports
// with a `lacp:` LAG ID. It is pure: no I/O, time is an argument, and a
// Port value belongs to one goroutine (controller/dp's DP runner).
package lacp
