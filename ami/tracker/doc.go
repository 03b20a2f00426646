// Package tracker follows Asterisk calls from AMI events and reports a
// typed stream of lifecycle events: CallStarted, LegAdded, LegAnswered,
// MediaKnown, QualityReport, LegEnded, CallEnded and OriginateResult.
//
// Channels (legs) are keyed by Uniqueid and grouped into calls by
// Linkedid. A leg's RTP addresses are not in any event: the tracker asks
// for them with Getvar CHANNEL(rtp,dest) and CHANNEL(rtp,src) once the leg
// is answered (Newstate Up or BridgeEnter), retrying a bounded number of
// times while Asterisk still answers with an empty value, and asks Status
// for the codec. RTCPSent/RTCPReceived confirm the addresses (or stand in
// for them when Getvar never answered) and feed QualityReport.
//
// Tracker is a pure state machine: Apply(message, now) returns events and
// queues action Requests (TakeRequests); Answer feeds a request's response
// back. It does no I/O and reads no clock, so captures replay through it
// (Replay) exactly as a live session would. Driver connects it to a live
// ami.Client: it owns the Tracker in one goroutine, sends the requests,
// resynchronises with CoreShowChannels after every (re)connect or event
// overflow, and hands events to a callback.
//
// Concurrency: Tracker is not safe for concurrent use; Driver is, and its
// Run owns every goroutine it starts.
package tracker
