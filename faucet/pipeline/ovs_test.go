package pipeline

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ovsSwitch is a real Open vSwitch (userspace, dummy datapath: no kernel
// module, no tap devices, so it cannot clash with other OVS instances)
// loaded with a compiled program. ofproto/trace then shows what OVS itself
// does with a packet.
type ovsSwitch struct {
	t   *testing.T
	dir string
	env []string
}

func startOVS(t *testing.T, ports []uint32) *ovsSwitch {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting Open vSwitch")
	}
	for _, bin := range []string{"ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl", "ovsdb-tool"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
	schema := "/usr/share/openvswitch/vswitch.ovsschema"
	if _, err := os.Stat(schema); err != nil {
		t.Skip("no OVS schema")
	}
	dir, err := os.MkdirTemp("", "pipeline-ovs")
	if err != nil {
		t.Fatal(err)
	}
	s := &ovsSwitch{t: t, dir: dir, env: append(os.Environ(),
		"OVS_RUNDIR="+dir, "OVS_LOGDIR="+dir, "OVS_DBDIR="+dir, "OVS_SYSCONFDIR="+dir)}
	t.Cleanup(func() {
		// Stop the daemons this test started, through their own control
		// sockets in dir.
		s.run("ovs-appctl", "-t", "ovs-vswitchd", "exit")
		s.run("ovs-appctl", "-t", "ovsdb-server", "exit")
		os.RemoveAll(dir)
	})
	s.must("ovsdb-tool", "create", filepath.Join(dir, "conf.db"), schema)
	s.must("ovsdb-server", filepath.Join(dir, "conf.db"), "--remote=punix:"+filepath.Join(dir, "db.sock"),
		"--pidfile", "--detach", "--log-file")
	s.must("ovs-vsctl", "--no-wait", "init")
	s.must("ovs-vswitchd", "--enable-dummy", "--disable-system", "--pidfile", "--detach", "--log-file")
	args := []string{"--timeout=20", "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=dummy",
		"protocols=OpenFlow13", "fail_mode=secure"}
	for _, p := range ports {
		n := strconv.FormatUint(uint64(p), 10)
		args = append(args, "--", "add-port", "br0", "p"+n, "--", "set", "interface", "p"+n,
			"type=dummy", "ofport_request="+n)
	}
	s.must("ovs-vsctl", args...)
	return s
}

func (s *ovsSwitch) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = s.env, s.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *ovsSwitch) must(name string, args ...string) string {
	s.t.Helper()
	out, err := s.run(name, args...)
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// load installs meters, groups and flows with ovs-ofctl, as text.
func (s *ovsSwitch) load(p *Program) {
	s.t.Helper()
	for _, m := range p.Meters {
		s.must("ovs-ofctl", "-O", "OpenFlow13", "add-meter", "br0", m.String())
	}
	for _, g := range p.Groups {
		s.must("ovs-ofctl", "-O", "OpenFlow13", "add-group", "br0", g.String())
	}
	text := flowText(p.AllFlows())
	path := filepath.Join(s.dir, "flows.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.must("ovs-ofctl", "-O", "OpenFlow13", "add-flows", "br0", path)
	dump := s.must("ovs-ofctl", "-O", "OpenFlow13", "dump-flows", "br0")
	if n := strings.Count(dump, "cookie="); n != len(p.AllFlows()) {
		s.t.Fatalf("OVS holds %d flows, want %d:\n%s", n, len(p.AllFlows()), dump)
	}
}

var (
	datapathActions = regexp.MustCompile(`(?m)^Datapath actions: (.*)$`)
	userspace       = regexp.MustCompile(`userspace\([^()]*(\([^()]*\))?[^()]*\)`)
)

// trace returns OVS's datapath actions for a packet, with packet-ins
// shortened to "ctl".
func (s *ovsSwitch) trace(flow string) string {
	s.t.Helper()
	out := s.must("ovs-appctl", "ofproto/trace", "br0", flow)
	m := datapathActions.FindStringSubmatch(out)
	if m == nil {
		s.t.Fatalf("no datapath actions in trace of %s:\n%s", flow, out)
	}
	return userspace.ReplaceAllString(m[1], "ctl")
}

func TestOnOpenVSwitch(t *testing.T) {
	dp := loadDP(t, aclConfig)
	l := NewLearned()
	l.Learn(testTime, dp, 11, 100, mac("00:00:00:00:00:0b"))
	l.Learn(testTime, dp, 3, 100, mac(h3))
	p, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	var ports []uint32
	for _, pt := range dp.Ports {
		ports = append(ports, pt.Number)
	}
	ovs := startOVS(t, ports)
	ovs.load(p)
	for _, c := range []struct {
		name, flow, want string
	}{
		{"broadcast floods tagged, pops, untagged",
			"in_port=11,dl_src=00:00:00:00:00:0b,dl_dst=ff:ff:ff:ff:ff:ff",
			"push_vlan(vid=100,pcp=0),3,pop_vlan,1,2,5,6,7"},
		{"unknown source to controller",
			"in_port=1,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:0b",
			"push_vlan(vid=100,pcp=0),ctl,pop_vlan,11"},
		{"learned to learned, tagged to untagged",
			"in_port=3,dl_vlan=100,dl_src=00:00:00:00:00:03,dl_dst=00:00:00:00:00:0b",
			"pop_vlan,11"},
		{"port ACL denies DNS",
			"in_port=1,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:0b,dl_type=0x0800,nw_proto=17,udp_dst=53",
			"drop"},
		{"port ACL pushes a VLAN and outputs",
			"in_port=7,dl_src=00:00:00:00:00:07,dl_dst=00:00:00:00:00:0b,dl_type=0x0800,nw_proto=17,udp_dst=1",
			"push_vlan(vid=300,pcp=0),3"},
		{"VLAN ACL swaps the VID",
			"in_port=10,dl_src=00:00:00:00:00:10,dl_dst=00:00:00:00:00:0b,dl_type=0x0800,nw_proto=6,tcp_dst=80",
			"push_vlan(vid=300,pcp=0),3"},
		{"STP BPDU not flooded",
			"in_port=11,dl_src=00:00:00:00:00:0b,dl_dst=01:80:c2:00:00:00",
			"drop"},
		{"spoofed Faucet MAC dropped",
			"in_port=11,dl_src=0e:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff",
			"drop"},
	} {
		if got := ovs.trace(c.flow); got != c.want {
			t.Errorf("%s: OVS does %q, want %q", c.name, got, c.want)
		}
	}
}
