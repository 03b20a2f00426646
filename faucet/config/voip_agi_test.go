package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

const agiBase = minimal + `
voip:
  asterisk:
    pbx1: {host: 10.0.100.1, username: u, secret_env: X}
`

// TestQoSClassesAndAGI: classes take voip.qos's values as defaults and
// override them; voip.agi gets its defaults; the class variable is on.
func TestQoSClassesAndAGI(t *testing.T) {
	cfg := mustLoad(t, agiBase+`  qos:
    voice_dscp: 40
    headroom_percent: 20
    queue: 3
    classes:
      emergency: {dscp: 46, headroom_percent: 50, queue: 7, priority: 100, admission: exempt}
      bulk: {dscp: 10, meter: false}
      plain: {}
  agi:
    listen: 127.0.0.1:4573
    allow: [10.0.200.0/24, 10.0.100.9]
`)
	q := cfg.VoIP.QoS
	if len(q.Classes) != 3 || q.Classes[0].Name != "bulk" || q.Classes[2].Name != "plain" {
		t.Fatalf("classes %+v", q.Classes)
	}
	e, b, p := q.Class("emergency"), q.Class("bulk"), q.Class("plain")
	if e.DSCP != 46 || e.HeadroomPercent != 50 || *e.Queue != 7 || e.Priority != 100 || e.Admission != AdmissionExempt || !e.Meter {
		t.Errorf("emergency %+v", e)
	}
	if b.DSCP != 10 || b.Meter || b.Admission != AdmissionBudget {
		t.Errorf("bulk %+v", b)
	}
	if p.DSCP != 40 || p.HeadroomPercent != 20 || *p.Queue != 3 || !p.Meter {
		t.Errorf("plain does not inherit voip.qos: %+v", p)
	}
	if q.Class("nope") != nil || q.ClassVariable != DefaultClassVariable {
		t.Errorf("Class(nope) %v, class_variable %q", q.Class("nope"), q.ClassVariable)
	}
	a := cfg.VoIP.AGI
	if a == nil || a.Listen != "127.0.0.1:4573" || a.MaxSessions != DefaultAGIMaxSessions || a.Timeout != DefaultAGITimeout {
		t.Fatalf("agi %+v", a)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.200.0/24"), netip.MustParsePrefix("10.0.100.9/32")}
	if len(a.Allow) != 2 || a.Allow[0] != want[0] || a.Allow[1] != want[1] {
		t.Errorf("allow %v", a.Allow)
	}
}

func TestClassVariableOffAndDefaults(t *testing.T) {
	cfg := mustLoad(t, agiBase)
	if cfg.VoIP.QoS.ClassVariable != "" || cfg.VoIP.AGI != nil {
		t.Errorf("no classes: class_variable %q, agi %v", cfg.VoIP.QoS.ClassVariable, cfg.VoIP.AGI)
	}
	cfg = mustLoad(t, agiBase+`  qos:
    class_variable: false
    classes: {emergency: {}}
  agi: {timeout: 1.5, max_sessions: 8}
`)
	if cfg.VoIP.QoS.ClassVariable != "" {
		t.Errorf("class_variable: false gave %q", cfg.VoIP.QoS.ClassVariable)
	}
	if a := cfg.VoIP.AGI; a.Listen != DefaultAGIListen || a.Timeout != 1500*time.Millisecond || a.MaxSessions != 8 {
		t.Errorf("agi %+v", a)
	}
	cfg = mustLoad(t, agiBase+`  qos:
    class_variable: MY_CLASS
    classes: {emergency: {}}
`)
	if cfg.VoIP.QoS.ClassVariable != "MY_CLASS" {
		t.Errorf("class_variable %q", cfg.VoIP.QoS.ClassVariable)
	}
}

// TestQoSClassErrors: every mistake is reported with its file:line.
func TestQoSClassErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"  qos:\n    classes: {Emergency: {}}\n", "test.yaml:14:15: voip.qos.classes.Emergency: class name \"Emergency\" must be"},
		{"  qos:\n    classes: {rejected: {}}\n", "class name \"rejected\" is reserved"},
		{"  qos:\n    classes: {e: {dscp: 64}}\n", "dscp must be 0-63"},
		{"  qos:\n    classes: {e: {meter: false, headroom_percent: 10}}\n", "headroom_percent needs meter: true"},
		{"  qos:\n    classes: {e: {headroom_percent: -1}}\n", "headroom_percent must be 0-1000"},
		{"  qos:\n    classes: {e: {queue: -2}}\n", "queue must be a queue id"},
		{"  qos:\n    classes: {e: {priority: 101}}\n", "priority must be 0-100"},
		{"  qos:\n    classes: {e: {admission: always}}\n", "admission must be budget or exempt"},
		{"  qos:\n    classes: {e: {dscpp: 1}}\n", "unknown key \"dscpp\" in qos class (did you mean \"dscp\"?)"},
		{"  qos:\n    classes: [e]\n", "voip.qos.classes: must be dict, not list"},
		{"  qos:\n    classes: {e: 5}\n", "class must be a mapping"},
		{"  qos:\n    class_variable: bad-name\n    classes: {e: {}}\n", "class_variable must be a channel variable name"},
		{"  qos:\n    class_variable: X\n", "class_variable needs voip.qos.classes"},
		{"  agi: {listen: \"4573\"}\n  qos: {classes: {e: {}}}\n", "listen \"4573\" must be host:port"},
		{"  agi: {listen: \":99999\"}\n  qos: {classes: {e: {}}}\n", "listen port \"99999\" must be 0-65535"},
		{"  agi: {allow: [10.0.0.1/8]}\n  qos: {classes: {e: {}}}\n", "allow entries must be IP addresses or networks"},
		{"  agi: {timeout: 0}\n  qos: {classes: {e: {}}}\n", "timeout must be between 0 and 300 seconds"},
		{"  agi: {max_sessions: 0}\n  qos: {classes: {e: {}}}\n", "max_sessions must be 1-100000"},
		{"  agi: {listen: \":4573\"}\n", "test.yaml:13:9: voip.agi: voip.agi needs voip.qos.classes"},
	} {
		_, err := load(t, agiBase+tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n want %q\n got %v", tc.yaml, tc.want, err)
		}
	}
	_, err := load(t, minimal+"voip:\n  qos: {classes: {e: {}}}\n  agi: {}\n")
	if err == nil || !strings.Contains(err.Error(), "voip.agi needs voip.asterisk") {
		t.Errorf("agi without asterisk: %v", err)
	}
}

func TestDiffSeesAGIAndClasses(t *testing.T) {
	a := mustLoad(t, agiBase+"  qos: {classes: {e: {}}}\n  agi: {}\n")
	b := mustLoad(t, agiBase+"  qos: {classes: {e: {}}}\n  agi: {max_sessions: 3}\n")
	c := mustLoad(t, agiBase+"  qos: {classes: {e: {dscp: 10}}}\n  agi: {max_sessions: 3}\n")
	if d := Diff(a, a); !d.Empty() {
		t.Errorf("same config: %+v", d.VoIP)
	}
	if d := Diff(a, b); !d.VoIP.AGIChanged || d.VoIP.QoSChanged || d.Empty() {
		t.Errorf("agi change: %+v", d.VoIP)
	}
	if d := Diff(b, c); d.VoIP.AGIChanged || !d.VoIP.QoSChanged {
		t.Errorf("class change: %+v", d.VoIP)
	}
}
