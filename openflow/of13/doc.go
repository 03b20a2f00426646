// Package of13 is voipsdn's own model of the OpenFlow 1.3 objects the
// controller programs: matches, actions, instructions, flows, meters and
// groups.
//
// It is the common language of the pipeline compiler (package faucet), the
// QoS policy (package qos), the reconciler and session layer (package
// controller) and the in-memory table model used by tests. It knows nothing
// of sockets or of any codec library: the session layer translates these
// values to and from the wire.
//
// Values are plain data. A Match is kept in canonical order (sorted by field,
// masked bits cleared) so that two flows can be compared with Equal and used
// as map keys through Key, which is what a reconciler needs when it diffs the
// flows it wants against the flows a switch reports.
//
// All functions are safe for concurrent use; values are not synchronised and
// should be treated as immutable once shared.
package of13
