package config

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// iniSections reads an Asterisk .conf file into section -> key -> value
// (the last value of a repeated key; comments after ';' dropped).
func iniSections(t *testing.T, name string) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "asterisk", name))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, ";")
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: cannot read %q", name, line)
			}
			out[section][strings.TrimSpace(strings.TrimPrefix(k, ">"))] = strings.TrimSpace(v)
		}
	}
	return out
}

// TestAsteriskExampleAgrees: examples/asterisk configures the PBX that
// examples/faucet.yaml follows, so the two must name the same users,
// addresses, ports, RTP range, ARI application and QoS classes; an edit to
// one side that the other does not follow fails here.
func TestAsteriskExampleAgrees(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("..", "..", "examples", "faucet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.VoIP
	pbx := v.Asterisk[0]

	mgr := iniSections(t, "manager.conf")
	if mgr["general"]["bindaddr"] != pbx.Host || mgr["general"]["port"] != strconv.Itoa(int(pbx.Port)) {
		t.Errorf("manager.conf listens on %s:%s, faucet.yaml connects to %s:%d",
			mgr["general"]["bindaddr"], mgr["general"]["port"], pbx.Host, pbx.Port)
	}
	user := mgr[pbx.Username]
	if user == nil {
		t.Fatalf("manager.conf has no user %q", pbx.Username)
	}
	need := append([]string{}, pbx.Events...)
	need = append(need, "agi") // AsyncAGI classification (extensions.conf)
	for _, dir := range []string{"read", "write"} {
		have := strings.Split(user[dir], ",")
		for _, c := range need {
			if !contains(have, c) {
				t.Errorf("manager.conf %s = %q lacks %s", dir, user[dir], c)
			}
		}
	}

	if pbx.ARI == nil {
		t.Fatal("faucet.yaml follows pbx1 without ARI")
	}
	u, err := url.Parse(pbx.ARI.URL)
	if err != nil {
		t.Fatal(err)
	}
	httpConf := iniSections(t, "http.conf")["general"]
	if u.Hostname() != httpConf["bindaddr"] || u.Port() != httpConf["bindport"] || httpConf["enabled"] != "yes" {
		t.Errorf("ARI url %s, http.conf binds %s:%s (enabled %s)", pbx.ARI.URL, httpConf["bindaddr"], httpConf["bindport"], httpConf["enabled"])
	}
	ari := iniSections(t, "ari.conf")
	if a := ari[pbx.ARI.Username]; a == nil || a["type"] != "user" || a["read_only"] != "yes" {
		t.Errorf("ari.conf user %q: %v (voipsdn needs a read-only user)", pbx.ARI.Username, a)
	}

	rtp := iniSections(t, "rtp.conf")["general"]
	if rtp["rtpstart"] != strconv.Itoa(int(v.QoS.RTPPortRange[0])) || rtp["rtpend"] != strconv.Itoa(int(v.QoS.RTPPortRange[1])) {
		t.Errorf("rtp.conf %s-%s, voip.qos.rtp_port_range %v", rtp["rtpstart"], rtp["rtpend"], v.QoS.RTPPortRange)
	}

	dialplan, err := os.ReadFile(filepath.Join("..", "..", "examples", "asterisk", "extensions.conf"))
	if err != nil {
		t.Fatal(err)
	}
	class := func(name string) bool { return v.QoS.Class(name) != nil }
	_, agiPort, _ := strings.Cut(v.AGI.Listen, ":")
	fast := regexp.MustCompile(`AGI\(agi://([^/]+)/qos\?class=([a-z0-9_-]+)\)`).FindAllStringSubmatch(string(dialplan), -1)
	async := regexp.MustCompile(`AGI\(agi:async,qos,([a-z0-9_-]+)\)`).FindAllStringSubmatch(string(dialplan), -1)
	vars := regexp.MustCompile(`Set\(([A-Z_]+)=([a-z0-9_-]+)\)`).FindAllStringSubmatch(string(dialplan), -1)
	if len(fast) == 0 || len(async) == 0 || len(vars) == 0 {
		t.Fatalf("extensions.conf should show all three ways to classify: %d FastAGI, %d AsyncAGI, %d variables", len(fast), len(async), len(vars))
	}
	for _, m := range fast {
		if _, port, _ := strings.Cut(m[1], ":"); port != agiPort || !class(m[2]) {
			t.Errorf("%s: voip.agi listens on port %s; class %q known: %v", m[0], agiPort, m[2], class(m[2]))
		}
	}
	for _, m := range async {
		if !class(m[1]) {
			t.Errorf("%s: no class %q", m[0], m[1])
		}
	}
	for _, m := range vars {
		if m[1] != v.QoS.ClassVariable || !class(m[2]) {
			t.Errorf("%s: class_variable is %q; class %q known: %v", m[0], v.QoS.ClassVariable, m[2], class(m[2]))
		}
	}
	for _, m := range regexp.MustCompile(`Stasis\(([a-z0-9_-]+)`).FindAllStringSubmatch(string(dialplan), -1) {
		if m[1] == pbx.ARI.App {
			t.Errorf("the dialplan's Stasis(%s) takes voipsdn's ARI application name", m[1])
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}
