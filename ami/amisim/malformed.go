package amisim

import (
	"fmt"
	"strings"
)

// Malformed names a kind of bad input SendMalformed can send.
type Malformed string

// Kinds of malformed input.
const (
	// Garbage: lines without a colon, control bytes and a stray greeting
	// between two valid events.
	Garbage Malformed = "garbage"
	// BareLF: an event whose lines end in LF only.
	BareLF Malformed = "lf"
	// Huge: one event of HugeBytes, above any sane client bound; a
	// client should disconnect with an error and reconnect.
	Huge Malformed = "huge"
	// BadUTF8: an event whose name is not UTF-8 ("Event: \xff", which
	// once took voipsdn down in the Prometheus label code), then a channel
	// whose every field is invalid UTF-8, answered and hung up.
	BadUTF8 Malformed = "utf8"
)

// HugeBytes is the size of a Huge message.
const HugeBytes = 8 << 20

// SendMalformed sends bad input of the given kind to every logged-in
// client and returns how many got it.
func (s *Server) SendMalformed(kind Malformed) (int, error) {
	var b []byte
	switch kind {
	case Garbage:
		b = []byte("this line has no colon\r\n\x00\x01\xff\xfe\r\n:empty key\r\n\r\n\r\n" +
			"Event: Noise\r\nPrivilege: system,all\r\nno colon here either\r\n\r\n")
	case BareLF:
		b = []byte("Event: Noise\nPrivilege: system,all\nNote: bare LF line endings\n\n")
	case BadUTF8:
		ch := "Channel: PJSIP/\xff\xfe-0001\r\nChannelState: 6\r\nChannelStateDesc: \xc3\x28\r\n" +
			"CallerIDNum: \xed\xa0\x80\r\nExten: \xf8\x88\x80\x80\x80\r\nUniqueid: \xff.1\r\nLinkedid: \xff.1\r\n"
		b = []byte("Event: \xff\r\nPrivilege: system,all\r\n\r\n" +
			"Event: Newchannel\r\nPrivilege: call,all\r\n" + ch + "\r\n" +
			"Event: Newstate\r\nPrivilege: call,all\r\n" + ch + "\r\n" +
			"Event: Hangup\r\nPrivilege: call,all\r\n" + ch + "Cause: 16\r\nCause-txt: \xff\r\n\r\n")
	case Huge:
		b = []byte("Event: Noise\r\nPrivilege: system,all\r\nPayload: " + strings.Repeat("x", HugeBytes) + "\r\n\r\n")
	default:
		return 0, fmt.Errorf("amisim: unknown malformed kind %q (want garbage, lf, utf8 or huge)", kind)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for sess := range s.sessions {
		if sess.wants(classSystem) || sess.wants(classCall) {
			sess.send(b, false)
			n++
		}
	}
	return n, nil
}
