package config

import (
	"strings"
	"testing"
	"time"
)

func TestGateway(t *testing.T) {
	cfg := mustLoad(t, agiBase+`  gateway:
    listen: 127.0.0.1:5038
    http_listen: 127.0.0.1:8088
    write_timeout: 0.5
    users:
      wallboard: {secret_file: /etc/voipsdn/gw-wallboard, servers: [pbx1], read: [call, call_events], events: [Newchannel]}
      crm: {secret_env: CRM_SECRET, token_file: /etc/voipsdn/crm.token, servers: [pbx1], actions: [Originate, Hangup]}
`)
	g := cfg.VoIP.Gateway
	if g == nil || g.Listen != "127.0.0.1:5038" || g.HTTPListen != "127.0.0.1:8088" || g.WriteTimeout != 500*time.Millisecond ||
		g.ClientQueue != DefaultGatewayClientQueue || len(g.Users) != 2 {
		t.Fatalf("gateway %+v", g)
	}
	crm, wb := g.Users[0], g.Users[1]
	if crm.Name != "crm" || crm.SecretEnv != "CRM_SECRET" || crm.TokenFile == "" || len(crm.Actions) != 2 || crm.Servers[0] != "pbx1" {
		t.Errorf("crm %+v", crm)
	}
	if wb.SecretFile != "/etc/voipsdn/gw-wallboard" || len(wb.Read) != 2 || wb.Events[0] != "Newchannel" {
		t.Errorf("wallboard %+v", wb)
	}
}

// TestGatewayErrors: every mistake is reported with its file:line.
func TestGatewayErrors(t *testing.T) {
	const u = "    users: {a: {secret_env: X, servers: [pbx1]}}\n"
	for _, tc := range []struct{ yaml, want string }{
		{"  gateway:\n" + u, "test.yaml:14:5: voip.gateway: voip.gateway needs listen or http_listen"},
		{"  gateway:\n    listen: \"5038\"\n" + u, "test.yaml:14:13: voip.gateway.listen: listen \"5038\" must be host:port"},
		{"  gateway:\n    http_listen: \":70000\"\n" + u, "http_listen port \"70000\" must be 0-65535"},
		{"  gateway: {listen: \":5038\"}\n", "voip.gateway needs users"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {secret_env: X, servers: [pbx2]}}\n", "test.yaml:15:42: voip.gateway.users.a.servers[0]: server \"pbx2\" is not a voip.asterisk server with AMI"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {servers: [pbx1]}}\n", "test.yaml:15:13: voip.gateway.users.a: needs secret_file, secret_env or token_file"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {secret_env: X, secret_file: /f, servers: [pbx1]}}\n", "give secret_file or secret_env, not both"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {secret_env: X}}\n", "needs servers"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {secret_env: X, servers: [pbx1], actions: [Filter]}}\n", "action \"Filter\" acts on the shared session"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {secret_env: X, servers: [pbx1], actions: [\"Origin ate\"]}}\n", "is not an AMI action name"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {secret_env: X, servers: [pbx1], read: [calls]}}\n", "read class \"calls\" is not an AMI event class"},
		{"  gateway:\n    listen: \":5038\"\n    users: {a: {secret_env: X, servers: [pbx1], secrt: y}}\n", "unknown key \"secrt\" in gateway user"},
		{"  gateway:\n    listen: \":5038\"\n    tls_cert_file: /c\n" + u, "tls_cert_file and tls_key_file go together"},
		{"  gateway:\n    listen: \":5038\"\n    client_queue: 1\n" + u, "client_queue must be 16-1048576"},
		{"  gateway:\n    listen: \":5038\"\n    write_timeout: 0\n" + u, "write_timeout must be between 0 and 60 seconds"},
	} {
		_, err := load(t, agiBase+tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n want %q\n got %v", tc.yaml, tc.want, err)
		}
	}
}
