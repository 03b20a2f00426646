package agi

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestReadRecordedReplies: the answers a real Asterisk wrote in recordings
// 01 (before answer, the 520 usage answer split across reads, the final
// HANGUP) and 04 (200 result=-1, HANGUP between a command and its answer,
// 511 on the dead channel) parse as the README describes.
func TestReadRecordedReplies(t *testing.T) {
	type want struct {
		code, result int
		data         string
		hasData      bool
		hangup       bool
	}
	for name, wants := range map[string][]want{
		"01-fastagi-403-before-answer": {
			{code: 200, result: 0}, {code: 200, result: 1, hasData: true}, {code: 200, result: 1}, {code: 200, result: 1},
			{code: 510}, {code: 520}, {code: 200, result: 1, data: "emergency", hasData: true},
		},
		"04-fastagi-407-caller-hangs-up-mid-session": {
			{code: 200, result: 1, data: "10.0.100.201:25060", hasData: true}, {code: 200, result: -1},
			{code: 200, result: 1, data: "10.0.100.201:25060", hasData: true, hangup: true}, {code: 511}, {code: 200, result: 1},
		},
	} {
		r := NewReader(bytes.NewReader(readCapture(t, name+".from-asterisk")))
		if _, _, err := ReadEnv(r); err != nil {
			t.Fatal(err)
		}
		for i, w := range wants {
			rep, hup, err := ReadReply(r)
			if err != nil || rep.Code != w.code || rep.Result != w.result || rep.Data != w.data || rep.HasData != w.hasData || hup != w.hangup {
				t.Errorf("%s reply %d: %+v hangup %v err %v, want %+v", name, i, rep, hup, err, w)
			}
			if w.code == 520 && rep.Text != "Invalid command syntax.  Proper usage follows:\n"+
				"Returns <literal>0</literal> if <replaceable>variablename</replaceable> is not set. Returns <literal>1</literal> if <replaceable>variablename</replaceable> is set and returns the variable in parentheses.\n"+
				"Example return code: 200 result=1 (testvariable)\nEnd of proper usage." {
				t.Errorf("520 text %q", rep.Text)
			}
		}
		// Asterisk's HANGUP after the server's close, then EOF.
		if _, hup, err := ReadReply(r); !errors.Is(err, io.EOF) || !hup {
			t.Errorf("%s end: hangup %v err %v", name, hup, err)
		}
	}
}
