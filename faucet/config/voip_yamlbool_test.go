package config

import (
	"strings"
	"testing"
)

// TestPinholeOffUnquoted: YAML 1.1 reads an unquoted off, no or false as a
// boolean; the docs list off as a pinhole mode, so each of them means off.
// A true-ish word (on, yes, true) names no mode and is refused clearly.
func TestPinholeOffUnquoted(t *testing.T) {
	for _, word := range []string{"off", "Off", "OFF", "no", "false", `"off"`, "'off'"} {
		cfg := mustLoad(t, minimal+"voip:\n  qos:\n    pinhole: "+word+"\n")
		if got := cfg.VoIP.QoS.Pinhole; got != PinholeOff {
			t.Errorf("pinhole: %s gives %q, want %q", word, got, PinholeOff)
		}
	}
	for _, word := range []string{"mark", "strict"} {
		cfg := mustLoad(t, minimal+"voip:\n  qos:\n    pinhole: "+word+"\n")
		if got := cfg.VoIP.QoS.Pinhole; got != word {
			t.Errorf("pinhole: %s gives %q", word, got)
		}
	}
	for _, word := range []string{"on", "yes", "true"} {
		_, err := load(t, minimal+"voip:\n  qos:\n    pinhole: "+word+"\n")
		if err == nil || !strings.Contains(err.Error(), "pinhole must be off, mark or strict, not "+word) {
			t.Errorf("pinhole: %s: want a clear error, got %v", word, err)
		}
	}
}
