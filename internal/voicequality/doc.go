// Package voicequality measures what a call's media goes through: an RTP
// stream generator whose packets carry their sequence number and send time,
// a receiver that computes one-way loss, RFC 3550 interarrival jitter and
// one-way delay (sender and receiver share the machine's clock) with a
// per-interval time series, and the ITU-T G.107 E-model that turns delay
// and loss into an R factor and a MOS estimate per codec.
//
// lab.go builds the bottleneck topology on internal/ovslab that
// cmd/voicebench and the tests run calls and best-effort load across.
package voicequality
