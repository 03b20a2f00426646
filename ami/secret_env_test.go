package ami

import (
	"strings"
	"testing"
)

// secret_env names a variable; when it is unset or empty the error names
// it, unless the value does not look like a variable name (it may be the
// secret, pasted by mistake), in which case the value is not echoed.
func TestSecretEnvErrorDoesNotEchoSecretLikeValue(t *testing.T) {
	t.Setenv("VOIPSDN_TEST_EMPTY", "")
	for _, c := range []struct {
		env, want string
		echoed    bool
	}{
		{"VOIPSDN_TEST_UNSET_9", "$VOIPSDN_TEST_UNSET_9 is not set", true},
		{"VOIPSDN_TEST_EMPTY", "$VOIPSDN_TEST_EMPTY is empty", true},
		{"Tr0ub4dor", "name not shown", false},
		{"hunter2", "name not shown", false},
	} {
		_, err := LoadSecret("", c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("secret_env %q: error %v, want %q", c.env, err, c.want)
			continue
		}
		if got := strings.Contains(err.Error(), c.env); got != c.echoed {
			t.Errorf("secret_env %q: echoed %v in %q", c.env, got, err)
		}
	}
}
