// Package gateway shares voipsdn's one AMI session per PBX with other
// clients, as astmanproxy does, but with voipsdn's own users and a
// per-user policy: an AMI-compatible TCP listener (greeting, Login plain
// and MD5, Events, Logoff, actions and responses) and the same over HTTP
// (server-sent events and JSON actions).
//
// Actions are forwarded on the shared session with a rewritten ActionID,
// "gw-<session>-<seq>|<client's ActionID>", so responses, event lists and
// the later OriginateResponse go back to the session that asked, with the
// client's ActionID restored, and never to another client. Events are
// fanned out from a tap on each upstream's socket reader (ami.Client.
// Subscribe): the fan-out never blocks; each client has a bounded queue,
// and a client whose queue fills (it stops reading) is disconnected and
// counted, as Asterisk drops a client past its writetimeout.
//
// The package sits just above ami: it knows nothing of calls, switches
// or Prometheus (Stats is read by the program's collector).
//
// Concurrency: Gateway methods are safe for concurrent use. Serve and
// ServeHTTP's streams own the goroutines they start and wait for them.
// Each AMI session has one reader goroutine (which also runs its
// actions, one at a time, as Asterisk does per session) and one writer.
package gateway
