// Package arisim is an Asterisk ARI simulator for tests and demos: it
// replays a recording of a real Asterisk's events WebSocket (see
// ari/testdata/captures) to the clients connected to /ari/events, and
// answers the read-only REST requests voipsdn makes (GET /ari/channels,
// /ari/bridges, /ari/channels/{id}/variable) from the state those events
// build, as the recorded Asterisk 22.10.1 would: channel variables as the
// recording's REST exchanges and ChannelVarset events show them, 500
// "Unable to read provided function" for CHANNEL(rtp,...) on an
// external media (UnicastRTP) channel, 404 for a channel that is gone.
//
// What the recordings do not show is modelled on Asterisk's rules and
// said so where it is done: CHANNEL(linkedid) (a channel's own Uniqueid,
// or its dialler's Linkedid; a bridge gives all its channels the oldest),
// CHANNEL(audionativeformat) ("(ulaw)": every recorded call is ulaw).
//
// Concurrency: Server is safe for concurrent use. Each WebSocket client
// has one writer goroutine, owned by its HTTP handler; Close ends them.
package arisim
