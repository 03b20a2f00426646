// Package amisim is an AMI server that behaves like the Asterisk 22 of
// the captures in ami/testdata/captures: same greeting, login with plain
// secret or MD5 challenge, responses, event order and fields, Getvar
// answers (empty before answer, the RTP address after, "No such channel"
// after hangup), Status, CoreShowChannels, Ping, Events, Permission
// denied before login, and "Authentication failed" followed by a close on
// a bad secret. Calls are driven by CallSpecs (who calls whom, RTP
// addresses, ring, answer and hangup times, codec, outcome), from Go
// (PlaceCall, Hangup), a JSON script or a generated load.
//
// Like Asterisk, it drops a client whose socket stays unwritable for
// WriteTimeout (100 ms by default) and reports the longest write it saw,
// which is how the load tool measures whether a client keeps up.
//
// Concurrency: all methods of Server are safe for concurrent use. One
// mutex guards calls and sessions; timers fire call phases; each session
// has a reader and a writer goroutine. Serve owns them all and returns
// only after they have ended.
package amisim
