// Package agisim is the Asterisk side of a FastAGI session, as the
// recordings in agi/testdata/captures show a real Asterisk 22 behave: it
// connects, sends the agi_* environment (split into writes as recorded),
// answers each command the way res_agi does (GET VARIABLE, GET FULL
// VARIABLE, SET VARIABLE, VERBOSE, ANSWER, WAIT FOR DIGIT, 510 for an
// unknown command, the multi-line 520 usage answer), models the caller
// hanging up (200 result=-1, HANGUP lines, 511 on a dead channel, no
// HANGUP with AGISIGHUP=no) and, when the server closes its side, sends
// HANGUP and closes, as Asterisk does at the end of every session.
//
// Model is the pure answering machine (no I/O); Run drives it over TCP.
// Neither is safe for concurrent use; run one per session.
package agisim
