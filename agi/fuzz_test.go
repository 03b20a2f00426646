package agi

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

// FuzzReadEnv: no environment block panics the parser or grows it past
// its bounds, and what it accepts survives ParseRequest.
func FuzzReadEnv(f *testing.F) {
	f.Add([]byte(env02))
	f.Add([]byte("HANGUP\nagi_request: async\nagi_uniqueid: 1.2\nagi_arg_1: qos\nagi_arg_2: class=emergency\n\n"))
	f.Add([]byte("agi_network_script: qos?class=%zz&server=pbx1\nagi_uniqueid: 1.2\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, _, err := ReadEnv(NewReader(bytes.NewReader(b)))
		if len(env) > MaxEnvVars {
			t.Fatalf("%d vars", len(env))
		}
		if err != nil {
			return
		}
		req, err := ParseRequest(env)
		if err == nil && (req.Uniqueid == "" || len(req.Uniqueid) > maxID) {
			t.Fatalf("accepted uniqueid %q", req.Uniqueid)
		}
		// The AsyncAGI path reads the same block from one string.
		env2, err := ParseEnv(string(b))
		if err == nil && len(env2) > MaxEnvVars {
			t.Fatalf("%d vars", len(env2))
		}
	})
}

// FuzzReadReply: no answer panics the reply parser; a multi-line answer is
// bounded; a 200 answer's data is inside the line.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"200 result=1 (10.0.100.201:25062)\n", "200 result=0\n", "200 result=1 ()\n", "HANGUP\n200 result=-1\n",
		"510 Invalid or unknown command\n", "511 Command Not Permitted on a dead channel or intercept routine\n",
		"520-Invalid command syntax.  Proper usage follows:\nusage\n520 End of proper usage.\n",
		"200 result=1 (a) endpos=1234\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, _, err := ReadReply(NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		if rep.Code < 100 || rep.Code > 999 {
			t.Fatalf("code %d", rep.Code)
		}
		if rep.HasData && !strings.Contains(string(b), "("+rep.Data+")") {
			t.Fatalf("data %q not in %q", rep.Data, b)
		}
		if strings.Count(rep.Text, "\n") > MaxReplyLen {
			t.Fatalf("reply of %d lines", strings.Count(rep.Text, "\n"))
		}
	})
}

// FuzzAsyncEnv: the Env header of AsyncAGIStart, URL-encoded as Asterisk
// sends it.
func FuzzAsyncEnv(f *testing.F) {
	f.Add(url.PathEscape("agi_request: async\nagi_uniqueid: 1.2\nagi_arg_1: qos\nagi_arg_2: emergency\n\n"))
	f.Fuzz(func(t *testing.T, s string) {
		env, err := decodeAsyncEnv(s)
		if err == nil {
			_, _ = ParseRequest(env)
		}
	})
}
