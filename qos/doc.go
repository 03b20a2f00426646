// Package qos is the per-call QoS planner: pure functions that turn a
// call leg's media and a datapath's voice placement into the OpenFlow
// flows and meters that give the call's media priority, or a reason why
// the call proceeds best effort.
//
// Two kinds of flow live in the voice table of each datapath:
//
//   - Standing flows, compiled from configuration alone (StandingFlows).
//     They mark the PBX's RTP port range with the voice DSCP and SIP with
//     the signalling DSCP, so the first RTP packets after answer are marked
//     before any per-call flow lands. In strict pinhole mode they drop
//     traffic into the RTP range instead, and only per-call flows open it.
//   - Per-call flows (PlanLeg, PlanDirs), one set per call leg: for each
//     direction of the leg's RTP and RTCP, a flow on the switch where the
//     sender is learned that matches the exact 5-tuple (and ingress port),
//     sets the DSCP and queue, applies a meter sized from the codec, and
//     continues through the normal pipeline. A call admission control
//     refused (Leg.BestEffort) gets the same flows setting DSCP 0, so the
//     standing flows' marking or drop does not apply to it. They carry a per-call cookie
//     (CallCookie) and an idle timeout, so they can be swept by cookie
//     after a restart and expire by themselves if the controller is lost.
//
// A planned stream is small (Stream: its two ends, the cookie and a Rule),
// so a store can keep the Rule alone and rebuild the flows (Stream.Flows)
// whenever it must delete or replay them; Carries and RuleOf read a flow
// found on a switch back into those terms, for adoption after a restart.
//
// Concurrency: the package has no state, starts no goroutine, reads no
// clock and performs no I/O; every function is safe for concurrent use.
// What a planner needs from the running controller comes in as arguments:
// a Locator (where hosts are learned) and a placement function (a DP's
// voice table), both read from views the DP goroutines publish. The
// stateful part that installs plans, waits, retries and adopts is the
// runtime's: package controller/dp/callstore. The Switches (the
// planner's view), Batch and Observer types are shared with that store,
// declared here so that the adapters on both sides share them; qos never
// calls them.
// internal/layers checks that qos has no go statement and no clock call.
package qos
