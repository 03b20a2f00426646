// Package voicequality measures what a call's media goes through: an RTP
// stream generator whose packets carry their sequence number and send time,
// a receiver that computes one-way loss, RFC 3550 interarrival jitter and
// one-way delay (sender and receiver share the machine's clock) with a
// per-interval time series, and the ITU-T G.107 E-model that turns delay
// and loss into an R factor and a MOS estimate per codec.
//
// Endpoints also speak RTCP on RTP port + 1 as phones do (rtcp.go: RFC
// 3550 SR/RR with SDES, and a bounded parser for what the peer sends;
// endpoint_rtcp.go: the periodic reports and what the peer's say about
// the endpoint's own stream, with RTT from LSR/DLSR), so that what RTCP
// reports can be set beside what the receiver measured.
//
// Concurrency: a Stream is not safe for concurrent use; an Endpoint is,
// its receive loops (RTP, and RTCP once started) being owned by it from
// NewEndpoint/StartRTCP until Close, which waits for them.
//
// lab.go builds the bottleneck topology on internal/ovslab that
// cmd/voicebench and the tests run calls and best-effort load across.
package voicequality
