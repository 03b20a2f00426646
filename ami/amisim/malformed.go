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
	case Huge:
		b = []byte("Event: Noise\r\nPrivilege: system,all\r\nPayload: " + strings.Repeat("x", HugeBytes) + "\r\n\r\n")
	default:
		return 0, fmt.Errorf("amisim: unknown malformed kind %q (want garbage, lf or huge)", kind)
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
