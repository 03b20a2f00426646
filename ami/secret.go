package ami

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

const redacted = "[redacted]"

// Secret holds an AMI password. Every way of printing it (String,
// GoString, fmt verbs, slog, JSON, text marshalling) prints "[redacted]";
// only Reveal returns the value.
type Secret struct {
	v string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the secret itself. Only the login code should call it.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s.v == "" }

// String implements fmt.Stringer, redacted.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, redacted.
func (s Secret) GoString() string { return "ami.Secret{" + redacted + "}" }

// Format implements fmt.Formatter so that %v, %+v, %#v, %s, %q and %x
// all print the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", redacted)
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, redacted)
	default:
		fmt.Fprint(f, redacted)
	}
}

// LogValue implements slog.LogValuer, redacted.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler, redacted.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LoadSecret reads a secret from a file (trailing newline removed) or
// from an environment variable. Exactly one source must be given and the
// secret must not be empty. Errors name the source, never the value.
func LoadSecret(file, env string) (Secret, error) {
	switch {
	case file != "" && env != "":
		return Secret{}, errors.New("ami: secret: give secret_file or secret_env, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return Secret{}, fmt.Errorf("ami: secret_file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return Secret{}, fmt.Errorf("ami: secret_file %s: empty", file)
		}
		return Secret{v: v}, nil
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return Secret{}, fmt.Errorf("ami: secret_env: %s is not set", envRef(env))
		}
		if v == "" {
			return Secret{}, fmt.Errorf("ami: secret_env: %s is empty", envRef(env))
		}
		return Secret{v: v}, nil
	}
	return Secret{}, errors.New("ami: secret: no secret_file or secret_env given")
}

// envRef names the variable secret_env gives for an error message, but only
// if it looks like a conventional variable name (upper case, digits,
// underscores): anything else may be the secret itself, pasted by mistake,
// and is not echoed.
func envRef(env string) string {
	for i, r := range env {
		if !(r >= 'A' && r <= 'Z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return "the variable secret_env names (name not shown: it does not look like a variable name; is it the secret itself?)"
		}
	}
	return "$" + env
}
