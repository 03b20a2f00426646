package config

import (
	"strings"
	"testing"
	"time"
)

// TestAsteriskDefaults: ping_interval defaults to 20 s (as docs/ami.md
// states) and the tracker bounds to DefaultMaxCalls. That these equal the
// ami packages' own defaults is checked in ami/tracker, which may import
// this package (not the other way round).
func TestAsteriskDefaults(t *testing.T) {
	cfg := mustLoad(t, minimal+`
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: u, secret_env: X}
    pbx2: {host: 10.254.0.2, username: u, secret_env: X, ping_interval: 5, max_calls: 50}
    pbx3: {host: 10.254.0.3, username: u, secret_env: X, max_calls: 50, max_legs: 60}
`)
	a := cfg.VoIP.Asterisk
	if a[0].PingInterval != DefaultAMIPingInterval || DefaultAMIPingInterval != 20*time.Second {
		t.Errorf("ping_interval default %v, config's %v; docs say 20 s", a[0].PingInterval, DefaultAMIPingInterval)
	}
	if a[1].PingInterval != 5*time.Second {
		t.Errorf("ping_interval: 5 gave %v", a[1].PingInterval)
	}
	if a[0].MaxCalls != DefaultMaxCalls || a[0].MaxLegs != 4*DefaultMaxCalls {
		t.Errorf("defaults max_calls %d max_legs %d", a[0].MaxCalls, a[0].MaxLegs)
	}
	if a[1].MaxCalls != 50 || a[1].MaxLegs != 200 || a[2].MaxCalls != 50 || a[2].MaxLegs != 60 {
		t.Errorf("max_calls/max_legs: %d/%d, %d/%d", a[1].MaxCalls, a[1].MaxLegs, a[2].MaxCalls, a[2].MaxLegs)
	}
}

func TestAsteriskLimitsChecked(t *testing.T) {
	_, err := load(t, minimal+`
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: u, secret_env: X, max_calls: 0, max_legs: -1}
`)
	if err == nil || !strings.Contains(err.Error(), "max_calls must be 1-10000000") || !strings.Contains(err.Error(), "max_legs must be 1-40000000") {
		t.Fatalf("want range errors, got %v", err)
	}
}
