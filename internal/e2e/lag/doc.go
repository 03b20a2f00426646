// Package lag holds the end-to-end test of LACP: voipsdn programs a real
// Open vSwitch whose two ports lead to an LACP bond, and the test checks
// the bond negotiates with voipsdn, carries traffic, and survives losing
// a member.
//
// The bond is Open vSwitch's own 802.3ad implementation (a standalone
// bridge with `lacp=active` on a two-interface bond) rather than a Linux
// bond: this machine's kernel has neither bonding nor team
// (CONFIG_BONDING is not set). It is an independent LACP speaker, which
// is what the test needs: voipsdn's answers must satisfy someone else's
// reading of IEEE 802.1AX.
package lag
