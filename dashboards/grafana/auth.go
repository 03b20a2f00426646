package grafana

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Auth is how the client authenticates: a bearer token (service account
// token or API key) or basic auth. Its String, GoString and LogValue forms
// never show the secret.
type Auth struct {
	token          string
	user, password string
}

// TokenAuth authenticates with a bearer token.
func TokenAuth(token string) Auth { return Auth{token: token} }

// BasicAuth authenticates with a user name and password.
func BasicAuth(user, password string) Auth { return Auth{user: user, password: password} }

// LoadAuth reads exactly one of a token file (the token, surrounding space
// ignored) and a basic auth file ("user:password" on its first line).
func LoadAuth(tokenFile, basicFile string) (Auth, error) {
	switch {
	case tokenFile != "" && basicFile != "":
		return Auth{}, errors.New("grafana: give either a token file or a basic auth file, not both")
	case tokenFile != "":
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return Auth{}, fmt.Errorf("grafana: token file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return Auth{}, fmt.Errorf("grafana: token file %s is empty", tokenFile)
		}
		return TokenAuth(tok), nil
	case basicFile != "":
		b, err := os.ReadFile(basicFile)
		if err != nil {
			return Auth{}, fmt.Errorf("grafana: basic auth file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		user, pass, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok || user == "" {
			return Auth{}, fmt.Errorf("grafana: basic auth file %s: want user:password on its first line", basicFile)
		}
		return BasicAuth(user, pass), nil
	}
	return Auth{}, errors.New("grafana: no credentials: give a token file or a basic auth file")
}

func (a Auth) kind() string {
	switch {
	case a.token != "":
		return "token"
	case a.user != "":
		return "basic(" + a.user + ")"
	}
	return "none"
}

// String names the kind of credential, never the secret.
func (a Auth) String() string { return "grafana.Auth{" + a.kind() + ", redacted}" }

// GoString is String, so %#v redacts too.
func (a Auth) GoString() string { return a.String() }

// LogValue redacts the secret in slog output.
func (a Auth) LogValue() slog.Value { return slog.StringValue(a.String()) }
