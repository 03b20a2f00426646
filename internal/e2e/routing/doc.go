// Package routing holds the end-to-end tests of voipsdn's L3 routing
// (issue 6): a real Open vSwitch (internal/ovslab) controlled by an
// in-process voipsdn, namespace hosts in routed VLANs, a gateway host for
// static routes and a bird2 BGP peer. The tests need root, OVS and bird;
// ovslab skips them where those are missing (and fails them with CI=true).
// They are serialised by ovslab's lock.
package routing
