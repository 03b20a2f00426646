// Package lldp holds the end-to-end tests of LLDP: Faucet's beacons and
// the LLDP-MED voice policy, captured in namespace hosts behind a real Open
// vSwitch and decoded with faucet/lldp's parser, and LLDP received from a
// host. They need what internal/e2e needs and skip without it.
package lldp
