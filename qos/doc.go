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
// The planning functions (StandingFlows, PlanLeg) perform no I/O and read
// no clock. The Engine is the stateful part: one goroutine owns each
// call's record; it reads a switch's per-call flows before installing
// anything there (so that after a restart a live call's legs adopt their
// flows and meters instead of installing copies), waits for a stream's
// sender to be located rather than mark it at the receiver without the
// ingress port, installs phone-to-phone streams ahead of direct media,
// and reinstalls flows the switch reports idled out while their call is
// up. Its per-datapath committers and switch reads run on goroutines it
// owns and waits for.
package qos
