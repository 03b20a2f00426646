package dp

import (
	"testing"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
)

// A DP left out of voip.qos.apply_to.dps gets no voice handling: no voip
// table, so its tables are exactly Faucet's, and no standing or trust
// flows; the DP it names gets both. `voipsdn flows` (Compile) and the
// running DPs (compileDP through qosFor) agree.
func TestApplyToDPsLeavesOtherDPsFaucets(t *testing.T) {
	cfg := mustConfig(t, twoDPs+`
voip:
  qos:
    pbx_addresses: [10.0.100.1]
    apply_to: {dps: [sw1]}
`)
	for _, c := range []struct {
		dp    string
		voice bool
	}{{"sw1", true}, {"sw2", false}} {
		d := cfg.DP(c.dp)
		prog, err := Compile(cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		_, hasTable := prog.Tables.ID(pipeline.TableVoIP)
		_, hasStanding := prog.Flows[OwnerVoIPStanding]
		if hasTable != c.voice || hasStanding != c.voice {
			t.Errorf("%s: voip table %v, standing flows %v; want %v", c.dp, hasTable, hasStanding, c.voice)
		}
		if !c.voice {
			plain, err := pipeline.Compile(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(plain.Tables.Names()) != len(prog.Tables.Names()) {
				t.Errorf("%s: tables %v; want Faucet's %v", c.dp, prog.Tables.Names(), plain.Tables.Names())
			}
		}
		if got := pipeline.OptionsFor(cfg, d); (len(got) > 0) != c.voice {
			t.Errorf("%s: pipeline.OptionsFor gives %d options; check-config would disagree with run", c.dp, len(got))
		}
	}
}
