// Package qos turns calls into flows: it decides, as pure functions, which
// OpenFlow flows and meters give a call's media priority, and why a call
// that cannot get them falls back to best effort.
//
// Two kinds of flow live in the voice table of each datapath:
//
//   - Standing flows, compiled from configuration alone (StandingFlows).
//     They mark the PBX's RTP port range with the voice DSCP and SIP with
//     the signalling DSCP, so the first RTP packets after answer are marked
//     before any per-call flow lands. In strict pinhole mode they drop
//     traffic into the RTP range instead, and only per-call flows open it.
//   - Per-call flows (PlanLeg), one set per call leg: for each direction of
//     the leg's RTP and RTCP, a flow on the switch where the sender is
//     learned that matches the exact 5-tuple (and ingress port), sets the
//     DSCP and queue, applies a meter sized from the codec, and continues
//     through the normal pipeline. They carry a per-call cookie (CallCookie)
//     and an idle timeout, so they can be swept by cookie after a restart
//     and expire by themselves if the controller is lost.
//
// The package performs no I/O and reads no clock; an engine elsewhere feeds
// it the tracker's lifecycle events and the controller's host locations.
// All functions are safe for concurrent use.
package qos
