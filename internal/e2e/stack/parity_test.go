package stack

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

// ring3's tables: vlan 0, eth_src 1, eth_dst 2, flood 3. The stack goldens
// cover vlan, eth_src and flood.
var stackGoldenTables = []int{0, 1, 3}

// tableFlows keeps a bridge's flows in tables, normalised (no counters or
// ages) and sorted.
func tableFlows(t *testing.T, lab *ovslab.Lab, bridge string, tables []int) []string {
	t.Helper()
	var out []string
	for _, f := range e2etest.Must[[]ovslab.Flow](t)(lab.DumpFlows(bridge)) {
		if slices.Contains(tables, f.Table) {
			out = append(out, fmt.Sprintf("cookie=%#x table=%d priority=%d idle_timeout=%d hard_timeout=%d %s actions=%s",
				f.Cookie, f.Table, f.Priority, f.IdleTimeout, f.HardTimeout, f.MatchString(), f.Actions))
		}
	}
	slices.Sort(out)
	return out
}

// The ring of three through the controller, no hosts (the goldens have no
// learned host): once every link is UP under root s1, s1's and s2's vlan,
// eth_src and flood tables equal Faucet's (faucet/pipeline/testdata/
// stack-s1.flows, stack-s2.flows), and again after a warm reload that
// changes a port's description.
func TestStackTablesEqualFaucetColdAndWarm(t *testing.T) {
	cfg := ringConfig(t)
	r := newRingWith(t, cfg, false)
	want := map[string][]string{}
	for i, dp := range []string{"s1", "s2"} {
		gold := "gold" + dp
		e2etest.Must[*ovslab.Bridge](t)(r.lab.AddBridge(gold, uint64(10+i)))
		b := e2etest.Must[[]byte](t)(os.ReadFile(filepath.Join("..", "..", "..", "faucet", "pipeline", "testdata", "stack-"+dp+".flows")))
		if err := r.lab.AddFlowsBundleText(gold, string(b)); err != nil {
			t.Fatal(err)
		}
		want[dp] = tableFlows(t, r.lab, gold, stackGoldenTables)
		if len(want[dp]) < 15 {
			t.Fatalf("golden for %s not loaded: %v", dp, want[dp])
		}
	}
	ctx := e2etest.Context(t, 120*time.Second)
	for i := 1; i <= 3; i++ {
		if err := r.lab.WaitConnected(ctx, fmt.Sprintf("s%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	allUp := map[uint64][]uint32{1: {2, 3}, 2: {2, 3}, 3: {2, 3}}
	r.waitStack(t, ctx, "s1", allUp)
	// The DPs recompile their flood flows just after their view
	// changes: wait (bounded) for the tables to settle before reporting.
	compare := func(when string) {
		t.Helper()
		var diffs []string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			diffs = diffs[:0]
			for _, dp := range []string{"s1", "s2"} {
				got := tableFlows(t, r.lab, dp, stackGoldenTables)
				for _, w := range want[dp] {
					if !slices.Contains(got, w) {
						diffs = append(diffs, dp+": missing flow Faucet installs: "+w)
					}
				}
				for _, g := range got {
					if !slices.Contains(want[dp], g) {
						diffs = append(diffs, dp+": flow Faucet does not install: "+g)
					}
				}
			}
			if len(diffs) == 0 || time.Now().After(deadline) {
				break
			}
		}
		for _, d := range diffs {
			t.Errorf("%s: %s", when, d)
		}
	}
	compare("cold start")

	syncs := map[uint64]uint64{}
	for id := uint64(1); id <= 3; id++ {
		syncs[id] = r.ctl.Status(id).Syncs
	}
	reload := strings.Replace(cfg, "interfaces:\n      1: {native_vlan: office}", "interfaces:\n      1: {native_vlan: office, description: desk}", 1)
	if reload == cfg {
		t.Fatal("the reload config does not differ")
	}
	r.ctl.WriteConfig(reload)
	if err := r.ctl.App().Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	for id := uint64(1); id <= 3; id++ {
		if st := r.ctl.Status(id); !st.Connected || st.Syncs != syncs[id] {
			t.Fatalf("the reload reconnected s%d (syncs %d -> %d): not a warm reload", id, syncs[id], st.Syncs)
		}
	}
	if d := r.ctl.App().Config().DP("s1").Port(1).Description; d != "desk" {
		t.Fatalf("the reload did not take s1's new port description: %q", d)
	}
	r.waitStack(t, ctx, "s1", allUp)
	compare("warm reload")
}
