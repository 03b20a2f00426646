// Package e2e holds voipsdn's end-to-end tests: the controller runs
// in-process (internal/app) on a loopback port and programs a real Open
// vSwitch (internal/ovslab, userspace datapath) whose ports lead to network
// namespace hosts; the tests assert what the hosts can and cannot send each
// other, and what the switch's tables hold across reloads and restarts.
//
// The tests need root, Open vSwitch, ip and tcpdump; without them they skip,
// except under CI=true where they fail. Labs are serialised machine-wide by
// ovslab's lock, so the tests share one lab and run in sequence.
package e2e
