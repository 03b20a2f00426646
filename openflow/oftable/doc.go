// Package oftable is an in-memory model of an OpenFlow 1.3 switch's flow,
// meter and group tables, for unit tests.
//
// Tests across voipsdn (the pipeline compiler, QoS policy, reconciler) use it
// in place of a real switch: they apply the flow-, meter- and group-mods they
// generated with the semantics of OpenFlow 1.3 §6.4, then push packets
// through the tables with Trace and assert the packets' fates — which ports
// they leave on, with which VLAN tags and header rewrites, which meters and
// queues they hit. Packet fates are what matter to users; asserting them,
// rather than flow text, lets the compiler change its flows freely.
//
// The model follows the spec where it is precise and Open vSwitch where the
// spec leaves room, because OVS is what the lab and most users run:
//
//   - modify of a flow that does not exist adds nothing (OF1.2+);
//   - flow-mods are validated as OVS does (goto_table must go forward and
//     exist, referenced meters and groups must exist, match and set-field
//     prerequisites must hold) and rejected with typed *Error values naming
//     the OpenFlow error type and code a switch would send;
//   - deleting a meter or group deletes the flows that use it;
//   - output to the ingress port is suppressed unless it is OFPP_IN_PORT;
//   - group bucket actions run in order, as OVS does;
//   - a select group picks a bucket by a hash of the packet's headers, so
//     the choice is deterministic.
//
// Meters are recorded, not enforced: Trace reports the meters a packet
// passed. Timeouts are stored but flows never expire. MPLS and PBB tags are
// not modelled (their push/pop actions are reported as notes).
//
// A Table is not safe for concurrent use; each test builds its own. There is
// no package state.
package oftable
