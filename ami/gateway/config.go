package gateway

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// Defaults.
const (
	// DefaultClientQueue bounds what is queued for one client.
	DefaultClientQueue = 8192
	// DefaultWriteTimeout is how long one write to a client may block.
	DefaultWriteTimeout = 2 * time.Second
	// DefaultGreeting is sent when no PBX has greeted voipsdn yet.
	DefaultGreeting = "Asterisk Call Manager/11.0.0"
)

// Config is the voip.gateway section.
type Config struct {
	// Listen is the AMI listener's host:port ("" disables it).
	Listen string
	// TLSCertFile and TLSKeyFile, both set, make Listen speak TLS.
	TLSCertFile, TLSKeyFile string
	// HTTPListen is the HTTP listener's host:port ("" disables it).
	HTTPListen string
	Users      []User
	// ClientQueue and WriteTimeout bound each client (0: defaults).
	ClientQueue  int
	WriteTimeout time.Duration
}

// User is one gateway user (voip.gateway.users.NAME).
type User struct {
	Name string
	// Secret is the AMI secret (Login) and the HTTP basic-auth password;
	// loaded from SecretFile or SecretEnv by Resolve.
	Secret                ami.Secret
	SecretFile, SecretEnv string
	// Token is the HTTP bearer token, loaded from TokenFile.
	Token     ami.Secret
	TokenFile string
	// Servers the user may use, the first being the default.
	Servers []string
	// Read limits events to these classes (Privilege: call, reporting,
	// system, ...; and "call_events"/"network" for voipsdn's records);
	// empty means every class.
	Read []string
	// Events limits events to these names (case-insensitive); empty
	// means every name.
	Events []string
	// Actions are granted beyond the read-only ReadOnlyActions.
	Actions []string
}

// Resolve loads secrets and checks the config; errors name the user,
// never a secret.
func (c Config) Resolve() (Config, error) {
	if c.ClientQueue <= 0 {
		c.ClientQueue = DefaultClientQueue
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return c, errors.New("voip.gateway: tls_cert_file and tls_key_file go together")
	}
	users := make([]User, 0, len(c.Users))
	seen := map[string]bool{}
	for _, u := range c.Users {
		if u.Name == "" || strings.ContainsAny(u.Name, " \r\n:") {
			return c, fmt.Errorf("voip.gateway.users: bad user name %q", u.Name)
		}
		if seen[strings.ToLower(u.Name)] {
			return c, fmt.Errorf("voip.gateway.users.%s: duplicate user", u.Name)
		}
		seen[strings.ToLower(u.Name)] = true
		if len(u.Servers) == 0 {
			return c, fmt.Errorf("voip.gateway.users.%s: servers: at least one server", u.Name)
		}
		if u.Secret.IsZero() && (u.SecretFile != "" || u.SecretEnv != "") {
			s, err := ami.LoadSecret(u.SecretFile, u.SecretEnv)
			if err != nil {
				return c, fmt.Errorf("voip.gateway.users.%s: %w", u.Name, err)
			}
			u.Secret = s
		}
		if u.Token.IsZero() && u.TokenFile != "" {
			s, err := ami.LoadSecret(u.TokenFile, "")
			if err != nil {
				return c, fmt.Errorf("voip.gateway.users.%s: token_file: %w", u.Name, err)
			}
			u.Token = s
		}
		if u.Secret.IsZero() && u.Token.IsZero() {
			return c, fmt.Errorf("voip.gateway.users.%s: give secret_file, secret_env or token_file", u.Name)
		}
		users = append(users, u)
	}
	c.Users = users
	return c, nil
}
