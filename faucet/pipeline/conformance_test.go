//go:build conformance

// Part of the conformance suite (make conformance CORPUS=dir): it reads
// Faucet's config test cases, which are not in this repository.

package pipeline

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/faucetcorpus"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// TestConformanceCompileFaucetValidConfigs compiles every DP of every
// config Faucet accepts (the corpus's valid/ and examples/) and loads the result
// into the switch model, which validates it as OVS would. Configs using
// features voipsdn does not program must fail with an error saying so,
// never panic or produce flows a switch rejects.
func TestConformanceCompileFaucetValidConfigs(t *testing.T) {
	root := faucetcorpus.Dir(t)
	files, _ := filepath.Glob(filepath.Join(root, "valid", "*.yaml"))
	files = append(files, filepath.Join(root, "examples", "faucet.yaml"))
	compiled, unsupported := 0, 0
	for _, f := range files {
		cfg, err := config.LoadFile(f)
		if err != nil {
			continue // the config package's conformance test judges these
		}
		for _, dp := range cfg.DPs {
			p, err := Compile(dp, nil, WithVoIPTable())
			if err != nil {
				if !strings.Contains(err.Error(), "not supported") && !strings.Contains(err.Error(), "can program") &&
					!strings.Contains(err.Error(), "not resolved") && !strings.Contains(err.Error(), "prerequisite") {
					t.Errorf("%s: %v", filepath.Base(f), err)
				}
				t.Logf("%s: %v", filepath.Base(f), err)
				unsupported++
				continue
			}
			tbl := oftable.New(oftable.Config{NumTables: p.Tables.Len()})
			for _, m := range p.Meters {
				if err := tbl.ApplyMeterMod(meterAdd(m)); err != nil {
					t.Errorf("%s dp %s meter: %v", filepath.Base(f), dp.Name, err)
				}
			}
			for _, g := range p.Groups {
				if err := tbl.ApplyGroupMod(groupAdd(g)); err != nil {
					t.Errorf("%s dp %s group: %v", filepath.Base(f), dp.Name, err)
				}
			}
			if err := tbl.AddFlows(p.AllFlows()...); err != nil {
				t.Errorf("%s dp %s: switch rejects a flow: %v", filepath.Base(f), dp.Name, err)
			}
			compiled++
		}
	}
	t.Logf("compiled %d DPs, %d use unsupported features", compiled, unsupported)
	if compiled == 0 {
		t.Fatal("nothing compiled")
	}
}

func meterAdd(m of13.Meter) of13.MeterMod { return of13.MeterMod{Command: of13.ModAdd, Meter: m} }
func groupAdd(g of13.Group) of13.GroupMod { return of13.GroupMod{Command: of13.ModAdd, Group: g} }
