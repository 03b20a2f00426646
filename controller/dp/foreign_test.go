package dp

import (
	"context"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// By default the DP owns its switch's tables, as Faucet does at cold
// start: flows with cookies that are not the controller's are deleted,
// except per-call voice flows (their owner adopts them). With
// keep_foreign_flows they stay.
func TestForeignFlowsAtConnect(t *testing.T) {
	for _, keep := range []bool{false, true} {
		yaml := twoVLANs
		if keep {
			yaml = strings.Replace(yaml, "    dp_id: 1\n", "    dp_id: 1\n    keep_foreign_flows: true\n", 1)
		}
		cfg := mustConfig(t, yaml)
		if cfg.DPs[0].KeepForeignFlows != keep {
			t.Fatalf("keep_foreign_flows parsed as %v", cfg.DPs[0].KeepForeignFlows)
		}
		m := startManager(t, cfg, Options{Clock: newFakeClock()})
		prog := compiled(t, m, 1)
		sw := newFakeSwitch(1)
		foreign := of13.Flow{Table: 0, Priority: 9999, Match: of13.NewMatch(of13.InPort(77)), Cookie: 0}
		call := of13.Flow{Table: 0, Priority: 9998, Match: of13.NewMatch(of13.InPort(78)), Cookie: 0x5643<<48 | 9}
		if err := sw.t.AddFlows(append(prog.AllFlows(), foreign, call)...); err != nil {
			t.Fatal(err)
		}
		m.SwitchConnected(context.Background(), sw)
		want := append(prog.AllFlows(), call)
		if keep {
			want = append(want, foreign)
		}
		sameFlows(t, sw.flows(), want)
	}
}
