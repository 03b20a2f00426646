// Package ami speaks the Asterisk Manager Interface (AMI): it parses the
// byte stream an Asterisk server sends, logs in (plain or MD5 challenge),
// correlates action responses by ActionID, and keeps one connection per
// server alive with pings and capped exponential backoff.
//
// Layers, from pure to stateful:
//
//   - Reader turns bytes into Messages (greeting, CRLF headers, blank-line
//     terminated; order and duplicates kept; size bounded). It does no I/O
//     beyond the bufio.Reader it wraps and is fuzzed.
//   - Correlator is a pure table that matches responses and event-list
//     items to the ActionID that asked for them.
//   - Client owns one connection at a time to one server; Manager owns one
//     Client per configured server.
//
// Concurrency: Reader and Correlator are not safe for concurrent use; each
// belongs to one goroutine. Client and Manager methods are safe for
// concurrent use. A Client's Run starts, and waits for, all goroutines of
// the client: one that reads the socket, one that delivers events, one per
// connection that logs in and pings. The socket reader never blocks on
// consumers: events go into a bounded queue, and when the queue is full the
// event is dropped, counted (Stats.EventsDropped) and announced to the
// handler with a DeliveryOverflow item, so a consumer can resynchronise.
// Asterisk disconnects a client whose socket stays unwritable for its
// writetimeout (100 ms by default), so the reader must keep draining.
//
// Client.Subscribe taps the events on the socket reader itself, before
// the queue, for sharers of the session (the AMI gateway) whose own
// bounded queues must not depend on the Handler's pace; a tap must only
// enqueue. Client.Forward sends an action with the caller's ActionID.
//
// Secrets are held in Secret, whose String, Format, LogValue and JSON forms
// are redacted; only the login code calls Reveal.
package ami
