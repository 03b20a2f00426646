package ami

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Default ports and intervals.
const (
	DefaultPort          = 5038
	DefaultTLSPort       = 5039
	DefaultPingInterval  = 20 * time.Second
	DefaultActionTimeout = 10 * time.Second
	DefaultEventQueue    = 65536
)

// ServerConfig describes one Asterisk server. The voip.asterisk.<name>
// section of the controller's YAML converts to it one key to one field.
type ServerConfig struct {
	Name     string
	Host     string
	Port     int // 0: 5038, or 5039 with TLS
	Username string
	// Secret, if set, is used as is. Otherwise SecretFile or SecretEnv
	// is loaded by Resolve.
	Secret     Secret
	SecretFile string
	SecretEnv  string
	TLS        bool
	TLSCAFile  string
	// TLSSkipVerify disables certificate verification (lab use only).
	TLSSkipVerify bool
	// Auth is "md5" (challenge-response, the default) or "plain".
	Auth string
	// Events is the event mask sent at login (e.g. "call", "reporting").
	// Empty means "on" (everything the user may read).
	Events []string
	// EventFilter entries are sent as Filter actions after login.
	EventFilter []string
	// PingInterval is the keepalive period; 0 means DefaultPingInterval,
	// negative disables pings.
	PingInterval time.Duration
	// ActionTimeout bounds the wait for each response; 0 means
	// DefaultActionTimeout.
	ActionTimeout time.Duration
	// EventQueue bounds the events held between the socket reader and
	// the consumer; 0 means DefaultEventQueue.
	EventQueue int
	// MaxMessageBytes bounds one message; 0 means DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// Address returns host:port with the default port filled in.
func (c ServerConfig) Address() string {
	port := c.Port
	if port == 0 {
		port = DefaultPort
		if c.TLS {
			port = DefaultTLSPort
		}
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// EventMask returns the Events value for the Login action.
func (c ServerConfig) EventMask() string {
	if len(c.Events) == 0 {
		return "on"
	}
	return strings.Join(c.Events, ",")
}

// Resolve validates the config, loads the secret if needed and fills in
// defaults. Errors name the server.
func (c ServerConfig) Resolve() (ServerConfig, error) {
	name := c.Name
	if name == "" {
		name = c.Host
	}
	fail := func(format string, a ...any) (ServerConfig, error) {
		return c, fmt.Errorf("voip.asterisk.%s: %s", name, fmt.Sprintf(format, a...))
	}
	if c.Name == "" {
		c.Name = c.Host
	}
	if c.Host == "" {
		return fail("host is required")
	}
	if c.Port < 0 || c.Port > 65535 {
		return fail("port %d out of range", c.Port)
	}
	if c.Username == "" {
		return fail("username is required")
	}
	switch strings.ToLower(c.Auth) {
	case "", "md5":
		c.Auth = "md5"
	case "plain":
		c.Auth = "plain"
	default:
		return fail("auth %q: want md5 or plain", c.Auth)
	}
	if c.Secret.IsZero() {
		s, err := LoadSecret(c.SecretFile, c.SecretEnv)
		if err != nil {
			return fail("%v", strings.TrimPrefix(err.Error(), "ami: "))
		}
		c.Secret = s
	}
	if !c.TLS && (c.TLSCAFile != "" || c.TLSSkipVerify) {
		return fail("tls_ca_file and tls_skip_verify need tls: true")
	}
	for _, e := range c.Events {
		if e == "" || strings.ContainsAny(e, ",\r\n ") {
			return fail("events: bad class %q", e)
		}
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.ActionTimeout <= 0 {
		c.ActionTimeout = DefaultActionTimeout
	}
	if c.EventQueue <= 0 {
		c.EventQueue = DefaultEventQueue
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return c, nil
}

// errNoConfig is returned by NewManager without servers.
var errNoConfig = errors.New("ami: no servers configured")
