package config

import "time"

// Gateway is the `voip.gateway` section: the AMI gateway and its HTTP API
// (docs/gateway.md). Secrets are never read here: the gateway reads each
// user's SecretFile/SecretEnv/TokenFile when it starts.
type Gateway struct {
	// Listen is the AMI listener (host:port); "" runs none.
	Listen      string `json:"listen,omitempty"`
	TLSCertFile string `json:"tls_cert_file,omitempty"`
	TLSKeyFile  string `json:"tls_key_file,omitempty"`
	// HTTPListen is the HTTP API listener (host:port); "" runs none.
	HTTPListen string `json:"http_listen,omitempty"`
	// ClientQueue bounds what is queued for one client; WriteTimeout
	// bounds one write to it.
	ClientQueue  int            `json:"client_queue"`
	WriteTimeout time.Duration  `json:"write_timeout"`
	Users        []*GatewayUser `json:"users"`
	Pos          Pos            `json:"-"`
}

// GatewayUser is one entry of voip.gateway.users.
type GatewayUser struct {
	Name       string   `json:"name"`
	SecretFile string   `json:"secret_file,omitempty"`
	SecretEnv  string   `json:"secret_env,omitempty"`
	TokenFile  string   `json:"token_file,omitempty"`
	Servers    []string `json:"servers"`
	Read       []string `json:"read,omitempty"`
	Events     []string `json:"events,omitempty"`
	Actions    []string `json:"actions,omitempty"`
	Pos        Pos      `json:"-"`
}

// Defaults of voip.gateway.
const (
	DefaultGatewayClientQueue  = 8192
	DefaultGatewayWriteTimeout = 2 * time.Second
)
