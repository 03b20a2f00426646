package config

import (
	"net/netip"
	"strings"
	"testing"
)

// TestAsteriskARIOnly: a server with only ari: is valid, its defaults are
// filled, and its URL's IP is a PBX media address by default.
func TestAsteriskARIOnly(t *testing.T) {
	cfg := mustLoad(t, minimal+`
voip:
  asterisk:
    pbx1:
      ari: {url: "http://10.0.100.1:8088", username: voipsdn, password_env: ARI_PW}
    pbx2:
      host: 10.254.0.2
      username: u
      secret_env: X
      ari: {url: "https://pbx2.example.com:8089/asterisk", username: v, password_file: /etc/voipsdn/ari, app: observer-2, subscribe_all: false}
`)
	a := cfg.VoIP.Asterisk
	if a[0].AMI || a[0].Host != "" || a[0].ARI == nil {
		t.Fatalf("pbx1: AMI %v host %q ari %+v", a[0].AMI, a[0].Host, a[0].ARI)
	}
	if r := a[0].ARI; r.URL != "http://10.0.100.1:8088" || r.Username != "voipsdn" || r.PasswordEnv != "ARI_PW" || r.App != "voipsdn" || !r.SubscribeAll {
		t.Errorf("pbx1 ari %+v", r)
	}
	if !a[1].AMI || a[1].ARI == nil || a[1].ARI.App != "observer-2" || a[1].ARI.SubscribeAll || a[1].ARI.PasswordFile != "/etc/voipsdn/ari" {
		t.Errorf("pbx2 %+v ari %+v", a[1], a[1].ARI)
	}
	want := []netip.Addr{netip.MustParseAddr("10.0.100.1"), netip.MustParseAddr("10.254.0.2")}
	if got := cfg.VoIP.QoS.PBXAddresses; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("pbx_addresses default %v, want %v", got, want)
	}
}

func TestAsteriskARIErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"nothing", `pbx1: {max_calls: 5}`, "test.yaml:11:5: voip.asterisk.pbx1: host, username and secret_file or secret_env (AMI), or ari, are required"},
		{"ami half", `pbx1: {username: u, ari: {url: "http://p:8088", username: u, password_env: P}}`, "voip.asterisk.pbx1: host is required"},
		{"ami key without ami", `pbx1: {port: 5038, ari: {url: "http://p:8088", username: u, password_env: P}}`, "voip.asterisk.pbx1.port: port is an AMI key"},
		{"no url", `pbx1: {ari: {username: u, password_env: P}}`, "voip.asterisk.pbx1.ari: ari url is required"},
		{"bad scheme", `pbx1: {ari: {url: "ws://p:8088", username: u, password_env: P}}`, "test.yaml:11:23: voip.asterisk.pbx1.ari.url: ari url must be http"},
		{"credentials in url", `pbx1: {ari: {url: "http://u:pw@p:8088", username: u, password_env: P}}`, "without credentials"},
		{"no user", `pbx1: {ari: {url: "http://p:8088", password_env: P}}`, "ari username is required"},
		{"two passwords", `pbx1: {ari: {url: "http://p:8088", username: u, password_env: P, password_file: /x}}`, "exactly one of ari password_file or password_env is required"},
		{"bad env", `pbx1: {ari: {url: "http://p:8088", username: u, password_env: "A B"}}`, `password_env "A B" is not a valid`},
		{"bad app", `pbx1: {ari: {url: "http://p:8088", username: u, password_env: P, app: "a&b"}}`, `ari app "a&b" must be`},
		{"unknown key", `pbx1: {ari: {url: "http://p:8088", username: u, password_env: P, password: x}}`, `unknown key "password" in ari`},
		{"ari not a map", `pbx1: {ari: yes}`, "voip.asterisk.pbx1.ari"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, minimal+"voip:\n  asterisk:\n    "+tc.yaml+"\n")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error echoes URL credentials: %v", err)
			}
		})
	}
}
