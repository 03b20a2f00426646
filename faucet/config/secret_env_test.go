package config

import (
	"strings"
	"testing"
)

// A secret pasted into secret_env (instead of the name of the variable
// that holds it) is refused without being echoed.
func TestSecretEnvValueNotEchoed(t *testing.T) {
	const secret = "s3cr3t-P@ss!"
	_, err := load(t, minimal+`
voip:
  asterisk:
    pbx1: {host: 10.254.0.1, username: u, secret_env: "`+secret+`"}
`)
	if err == nil {
		t.Fatal("a secret in secret_env was accepted as a variable name")
	}
	if !strings.Contains(err.Error(), "secret_env is not a valid environment variable name") {
		t.Errorf("error %q does not say what is wrong", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error echoes the secret: %q", err)
	}
}
