package tracker_test

import (
	"testing"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/faucet/config"
)

// TestConfigDefaultsAreTheAMIPackages: the configuration's defaults for an
// Asterisk server are the ami client's and the tracker's own. The check
// lives here because faucet/config sits below ami and may not import it.
func TestConfigDefaultsAreTheAMIPackages(t *testing.T) {
	if config.DefaultAMIPingInterval != ami.DefaultPingInterval || config.DefaultMaxCalls != tracker.DefaultMaxCalls {
		t.Errorf("config's defaults %v/%d differ from the ami packages' %v/%d",
			config.DefaultAMIPingInterval, config.DefaultMaxCalls, ami.DefaultPingInterval, tracker.DefaultMaxCalls)
	}
}
