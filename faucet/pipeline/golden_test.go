package pipeline

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// goldenConfig is small but touches every L2 table: a port ACL, a native
// and a tagged VLAN, a learned host.
const goldenConfig = `
vlans:
  office: {vid: 100}
  voice: {vid: 200}
acls:
  no-dns:
    - rule: {dl_type: 0x800, nw_proto: 17, udp_dst: 53, actions: {allow: 0}}
    - rule: {actions: {allow: 1}}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, acls_in: [no-dns]}
      2: {native_vlan: office}
      3: {tagged_vlans: [office, voice]}
`

func TestGoldenFlows(t *testing.T) {
	dp := loadDP(t, goldenConfig)
	l := NewLearned()
	if r := l.Learn(testTime, dp, 2, 100, mac(h2)); r.Outcome != OutcomeLearned {
		t.Fatal(r)
	}
	p, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Tables.String() + flowText(p.AllFlows())
	path := filepath.Join("testdata", "small.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
}

// TestOvsOfctlParsesFlows feeds the compiled flows of a config that uses
// every action the compiler emits to `ovs-ofctl parse-flows`, when Open
// vSwitch is installed, so the text `voipsdn flows` prints is real
// ovs-ofctl syntax.
func TestOvsOfctlParsesFlows(t *testing.T) {
	bin, err := exec.LookPath("ovs-ofctl")
	if err != nil {
		t.Skip("ovs-ofctl not installed")
	}
	dp := loadDP(t, aclConfig)
	l := NewLearned()
	l.Learn(testTime, dp, 2, 100, mac(h2))
	l.Learn(testTime, dp, 3, 200, mac(h3))
	p, err := Compile(dp, l)
	if err != nil {
		t.Fatal(err)
	}
	text := flowText(p.AllFlows())
	path := filepath.Join(t.TempDir(), "flows.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-O", "OpenFlow13", "parse-flows", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ovs-ofctl parse-flows: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "OFPT_FLOW_MOD"); n != len(p.AllFlows()) {
		t.Fatalf("ovs-ofctl parsed %d flows, want %d", n, len(p.AllFlows()))
	}
}
