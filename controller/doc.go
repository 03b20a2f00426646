// Package controller runs voipsdn's OpenFlow 1.3 sessions with switches:
// the TCP listener, the per-switch handshake, keepalive, an ordered and
// batched send path, request/reply matching, and delivery of switch events
// to a Handler. The codec lives in controller/internal/wire; callers only see
// package of13 values.
//
// # Goroutines
//
// Server.Serve owns one goroutine per accepted connection (the session
// owner). The owner performs the handshake, then starts three helpers under
// the session's WaitGroup — a reader, a writer and a keepalive ticker — and
// itself calls the Handler: Connected first, then PortStatus, PacketIn,
// FlowRemoved and Error in the order the switch sent them, then
// Disconnected once every helper has stopped. Callbacks for one switch are
// therefore never concurrent; callbacks for different switches are. When a
// switch reconnects with the same datapath id, the old session is closed
// and its Disconnected returns before the new session's Connected is called.
//
// The reader decodes messages strictly in arrival order. It never blocks on
// the send path or on the Handler: replies complete waiting requests
// directly, events are queued for the owner (packet-ins beyond a bound are
// dropped and counted), and echo replies go through a small urgent queue.
//
// # Sending
//
// Switch.Send encodes messages in the caller's goroutine into pooled
// chunks; the writer coalesces queued chunks into one writev. The pool is
// bounded, so a caller blocks when the switch does not keep up, until its
// context ends. Messages from one Send call are contiguous on the wire; the
// order of concurrent Send calls is the order they obtain the send lock.
// Switch.Barrier then reports the first OpenFlow error caused by anything
// sent since the previous barrier, named after the message that caused it.
//
// All exported methods of Server and Switch are safe for concurrent use,
// including from Handler callbacks.
package controller
