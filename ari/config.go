package ari

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// DefaultApp is the Stasis application name voipsdn registers. It is ours:
// see the package doc for why it must not be one the PBX runs.
const DefaultApp = "voipsdn"

// Config is one ARI connection.
type Config struct {
	// Server names the PBX (its voip.asterisk key): Header.Server.
	Server string
	// URL is the HTTP base, e.g. http://10.0.100.1:8088.
	URL      string
	Username string
	// Password is redacted in every print; only the HTTP requests reveal it.
	Password     ami.Secret
	App          string // DefaultApp when ""
	SubscribeAll bool
	// RequestTimeout bounds each REST request and the WebSocket
	// handshake (5 s).
	RequestTimeout time.Duration
	// Workers is how many variable requests run at once (2).
	Workers int
	// Backoff paces reconnects after a refused login or a session that
	// failed soon after it opened; ConnectBackoff after a failed
	// connection. HealthyAfter is how long a session must last for its end
	// to reset the backoff. Defaults: ami's.
	Backoff, ConnectBackoff ami.Backoff
	HealthyAfter            time.Duration
	// Follower bounds (Options.Server is set from Server).
	Follower Options
	Logger   *slog.Logger
}

// LoadPassword reads the password from a file or an environment variable,
// as ami.LoadSecret does (errors name the source, never the value).
func LoadPassword(file, env string) (ami.Secret, error) {
	s, err := ami.LoadSecret(file, env)
	if err != nil {
		return ami.Secret{}, fmt.Errorf("ari: password: %w", err)
	}
	return s, nil
}

func (c *Config) fill() error {
	if c.Server == "" {
		return errors.New("ari: config: no server name")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		// Not echoed: it might carry credentials.
		return errors.New("ari: config: url must be http(s)://host[:port][/path] without credentials")
	}
	if c.Username == "" || c.Password.IsZero() {
		return errors.New("ari: config: username and password are required")
	}
	if c.App == "" {
		c.App = DefaultApp
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Backoff.Initial <= 0 {
		c.Backoff = ami.DefaultBackoff()
	}
	if c.ConnectBackoff.Initial <= 0 {
		c.ConnectBackoff = ami.DefaultConnectBackoff()
	}
	if c.HealthyAfter <= 0 {
		c.HealthyAfter = ami.DefaultHealthyAfter
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Follower.Server = c.Server
	return nil
}
