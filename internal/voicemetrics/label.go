package voicemetrics

import (
	"strings"
	"unicode/utf8"
)

// MaxLabelBytes bounds a label value taken from outside (an AMI event
// name, a server name).
const MaxLabelBytes = 128

// Label makes s safe as a Prometheus label value. client_golang panics on
// a value that is not valid UTF-8, and a PBX can send any bytes (issue 16:
// "Event: \xff" took the process down), so invalid bytes become U+FFFD, and
// the value is cut to MaxLabelBytes on a character boundary so that one
// peer cannot make huge series.
func Label(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= MaxLabelBytes {
		return s
	}
	cut := MaxLabelBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
