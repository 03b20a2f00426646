package parity

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// egressConfig is faucet/pipeline's egressConfig (egress_test.go), the
// config testdata/egress.flows was written for.
const egressConfig = `
vlans:
  v100: {vid: 0x100}
  v200:
    vid: 0x200
    acl_out: drop_non_allow_host_v6
acls:
  drop_non_allow_host_v6:
    - rule:
        ipv6_dst: "fc00:200::1:1"
        eth_type: 0x86DD
        actions: {allow: 1}
    - rule:
        eth_type: 0x86DD
        actions: {allow: 0}
dps:
  s1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: v100}
      2: {native_vlan: v200, tagged_vlans: [v100]}
      3: {tagged_vlans: [v100, v200]}
      4: {tagged_vlans: [v200]}
`

// lacpConfig is faucet/pipeline's lacpGoldenConfig (lacp_golden_test.go),
// the config testdata/lacp-cold.flows was written for.
const lacpConfig = `
vlans:
  office: {vid: 100}
dps:
  s1:
    dp_id: 1
    hardware: Open vSwitch
    interfaces:
      1: {native_vlan: office, lacp: 7}
      2: {native_vlan: office, lacp: 7}
      3: {native_vlan: office}
      4: {tagged_vlans: [office]}
`

// golden is a file of faucet/pipeline/testdata.
func golden(name string) string {
	return filepath.Join("..", "..", "..", "faucet", "pipeline", "testdata", name)
}

// tableFlows keeps a bridge's flows in tables, normalised: no counters,
// ages or idle timeouts (a learned host's idle timeout is Faucet's random
// choice; learning parity is checked elsewhere), sorted.
func tableFlows(t *testing.T, lab *ovslab.Lab, bridge string, tables ...int) []string {
	t.Helper()
	var out []string
	for _, f := range e2etest.Must[[]ovslab.Flow](t)(lab.DumpFlows(bridge)) {
		if slices.Contains(tables, f.Table) {
			out = append(out, fmt.Sprintf("cookie=%#x table=%d priority=%d hard_timeout=%d %s actions=%s",
				f.Cookie, f.Table, f.Priority, f.HardTimeout, f.MatchString(), f.Actions))
		}
	}
	slices.Sort(out)
	return out
}

func sameFlows(t *testing.T, when string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: missing flow Faucet installs: %s", when, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s: flow Faucet does not install: %s", when, g)
		}
	}
}

// parityCase is one config, its golden and the tables the golden covers.
type parityCase struct {
	config, golden string
	tables         []int
	wantFlows      int // in the golden's tables: guards against an empty load
	// setup adds the switch's ports and makes it learn what the golden
	// assumes; it returns once that is installed.
	setup func(t *testing.T, lab *ovslab.Lab, ctl *e2etest.Controller)
	// reload is config with an unrelated change.
	reload string
}

// The egress ACL and LACP configs through the controller: dump-flows of
// the golden's tables equals Faucet's golden after a cold start and after
// a warm reload that changes a port's description (no reconnection).
func TestEgressAndLACPTablesEqualFaucetColdAndWarm(t *testing.T) {
	cases := map[string]parityCase{
		"egress": {
			config: egressConfig, golden: "egress.flows",
			tables: []int{2, 3, 4}, wantFlows: 13, // eth_dst, egress_acl, egress
			setup:  learnEgressHost,
			reload: strings.Replace(egressConfig, "3: {tagged_vlans: [v100, v200]}", "3: {tagged_vlans: [v100, v200], description: uplink}", 1),
		},
		"lacp": {
			config: lacpConfig, golden: "lacp-cold.flows",
			tables: []int{0, 3}, wantFlows: 18, // vlan, flood
			setup: func(t *testing.T, lab *ovslab.Lab, _ *e2etest.Controller) {
				for n := 1; n <= 4; n++ {
					e2etest.Must[*ovslab.Port](t)(lab.AddPort("s1", n))
				}
			},
			reload: strings.Replace(lacpConfig, "3: {native_vlan: office}", "3: {native_vlan: office, description: printer}", 1),
		},
	}
	lab := ovslab.New(t)
	for _, name := range []string{"egress", "lacp"} {
		t.Run(name, func(t *testing.T) { checkColdAndWarm(t, lab, cases[name]) })
	}
}

func checkColdAndWarm(t *testing.T, lab *ovslab.Lab, c parityCase) {
	if c.reload == c.config {
		t.Fatal("the reload config does not differ")
	}
	ctl := e2etest.Start(t, c.config)
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(ctl.Target())))
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("gold", 2))
	t.Cleanup(func() {
		for _, b := range []string{"s1", "gold"} {
			if err := lab.DelBridge(b); err != nil {
				t.Logf("del %s: %v", b, err)
			}
		}
	})
	text := e2etest.Must[[]byte](t)(os.ReadFile(golden(c.golden)))
	if err := lab.AddFlowsBundleText("gold", string(text)); err != nil {
		t.Fatal(err)
	}
	want := tableFlows(t, lab, "gold", c.tables...)
	if len(want) != c.wantFlows {
		t.Fatalf("golden %s: %d flows in tables %v, want %d", c.golden, len(want), c.tables, c.wantFlows)
	}
	ctx := e2etest.Context(t, 90*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	ctl.WaitSynced(ctx, 1, 1)
	c.setup(t, lab, ctl)
	sameFlows(t, "cold start", tableFlows(t, lab, "s1", c.tables...), want)

	syncs := ctl.Status(1).Syncs
	ctl.WriteConfig(c.reload)
	if err := ctl.App().Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if st := ctl.Status(1); !st.Connected || st.Syncs != syncs {
		t.Fatalf("the reload reconnected the switch (syncs %d -> %d): not a warm reload", syncs, st.Syncs)
	}
	if d := ctl.App().Config().DPs[0].Port(3).Description; d == "" {
		t.Fatal("the reload did not take the new port description")
	}
	sameFlows(t, "warm reload", tableFlows(t, lab, "s1", c.tables...), want)
}

// learnEgressHost puts egress.flows' learned host, 00:00:00:00:00:02, on
// port 2 (native v200) and waits until the controller has learned it.
func learnEgressHost(t *testing.T, lab *ovslab.Lab, ctl *e2etest.Controller) {
	h := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h2", Bridge: "s1", OFPort: 2,
		Addrs: []string{"10.0.2.2/24"}, MAC: "00:00:00:00:00:02"}))
	ctx := e2etest.Context(t, 30*time.Second)
	for {
		// Any frame from h2 will do: an ARP request for a host that is not there.
		_, _ = h.Exec(ctx, "ping", "-n", "-c", "1", "-W", "1", "10.0.2.9")
		flows := e2etest.Must[[]ovslab.Flow](t)(lab.DumpFlows("s1", "table=2"))
		if slices.ContainsFunc(flows, func(f ovslab.Flow) bool { return f.Match["dl_dst"] == "00:00:00:00:00:02" }) {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the controller never learned 00:00:00:00:00:02 on port 2")
		}
	}
}
