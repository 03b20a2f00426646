package amisim

import (
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestURIEncodeAsCaptured: the simulator encodes AsyncAGI's Env and
// Result exactly as the recorded Asterisk did.
func TestURIEncodeAsCaptured(t *testing.T) {
	b, err := os.ReadFile("../testdata/captures/13-call-201-to-403-async-agi.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\r\n") {
		k, v, _ := strings.Cut(line, ": ")
		if k != "Env" && k != "Result" {
			continue
		}
		dec, err := url.PathUnescape(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := uriEncode(dec); got != v {
			t.Errorf("%s:\n got  %s\n want %s", k, got, v)
		}
	}
}
