package config

import (
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/tracker"
)

// TestAsteriskDefaultsAreTheAMIPackages: one ping_interval default (20 s,
// as docs/ami.md states), defined in the ami package and used here, and
// tracker bounds that default to the tracker's.
func TestAsteriskDefaultsAreTheAMIPackages(t *testing.T) {
	cfg := mustLoad(t, minimal+`
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: u, secret_env: X}
    pbx2: {host: 10.254.0.2, username: u, secret_env: X, ping_interval: 5, max_calls: 50}
    pbx3: {host: 10.254.0.3, username: u, secret_env: X, max_calls: 50, max_legs: 60}
`)
	a := cfg.VoIP.Asterisk
	if DefaultAMIPingInterval != ami.DefaultPingInterval || DefaultMaxCalls != tracker.DefaultMaxCalls {
		t.Errorf("config's defaults %v/%d differ from the ami packages' %v/%d",
			DefaultAMIPingInterval, DefaultMaxCalls, ami.DefaultPingInterval, tracker.DefaultMaxCalls)
	}
	if a[0].PingInterval != ami.DefaultPingInterval || ami.DefaultPingInterval != 20*time.Second {
		t.Errorf("ping_interval default %v, ami's %v; docs say 20 s", a[0].PingInterval, ami.DefaultPingInterval)
	}
	if a[1].PingInterval != 5*time.Second {
		t.Errorf("ping_interval: 5 gave %v", a[1].PingInterval)
	}
	if a[0].MaxCalls != tracker.DefaultMaxCalls || a[0].MaxLegs != 4*tracker.DefaultMaxCalls {
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
