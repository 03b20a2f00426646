// Package agi is voipsdn's side of the Asterisk Gateway Interface: the
// dialplan chooses a call's QoS class by running AGI, and voipsdn reports
// that choice as a neutral call.Classified event.
//
// Two transports carry the same exchange:
//
//   - FastAGI (Server): the dialplan runs
//     AGI(agi://voipsdn:4573/qos?class=emergency); Asterisk connects, sends
//     the agi_* environment, and voipsdn answers with
//     SET VARIABLE VOIPSDN_QOS <result>, then ends the session by closing
//     its side, as a finished AGI script does.
//   - AsyncAGI over AMI (Async): AGI(agi:async,qos,emergency) makes
//     Asterisk announce AsyncAGIStart on the AMI session; voipsdn answers
//     with Action: AGI commands (SET VARIABLE, then ASYNCAGI BREAK, which
//     hands the channel back to the dialplan). No listening socket.
//
// VOIPSDN_QOS is the class applied, or ResultUnknownClass,
// ResultUnknownScript, ResultUnknownServer or ResultRejected.
//
// Layers: ReadEnv and ReadReply parse the protocol's lines (bounded, no
// I/O beyond the bufio.Reader; fuzzed); ParseRequest turns an environment
// into a Request; Classifier decides the result from the configured
// classes and an admission hook; Server and Async carry it.
//
// Concurrency: Server.Serve owns one goroutine per session (at most
// Options.MaxSessions) and returns only after all have ended; every read
// and write has a deadline, so a half-open peer cannot hold a session.
// Async.Handle never blocks (a bounded queue, drops counted); Async.Run
// owns its one worker. emit callbacks are called from those goroutines and
// must not block for long; with several sessions they run concurrently.
package agi
