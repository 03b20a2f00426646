package dp

import (
	"fmt"
	"slices"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/qos"
)

// OwnerVoIPStanding owns the QoS policy's standing flows in the voip table.
const OwnerVoIPStanding = "voip:standing"

// OwnerVoIPTrust owns the trust and re-mark flows (qos.TrustFlows).
const OwnerVoIPTrust = "voip:trust"

// qosFor is the policy DP d runs under: q, unless q's apply_to names
// other DPs, when d gets no voice handling at all (no voip table, so its
// tables are exactly Faucet's, and no standing flows).
func qosFor(q *config.QoS, d *config.DP) *config.QoS {
	if q == nil || q.ApplyTo == nil || len(q.ApplyTo.DPs) == 0 || slices.Contains(q.ApplyTo.DPs, d.Name) {
		return q
	}
	return nil
}

// compileOpts are the pipeline options for a DP under policy q.
func compileOpts(q *config.QoS) []pipeline.Option {
	if q != nil {
		return []pipeline.Option{pipeline.WithVoIPTable()}
	}
	return nil
}

// Compile returns the program DP d of cfg installs when its switch
// connects, before any host is learned: the same compilation the running
// DP does (compileDP), so with a voip section it includes the voice
// table's standing flows. `voipsdn flows` prints it.
func Compile(cfg *config.Config, d *config.DP) (*pipeline.Program, error) {
	q := qosFor(qosOf(cfg), d)
	return compileDP(d, pipeline.NewLearned(compileOpts(q)...), q)
}

// compileDP compiles a DP's program. With a QoS policy the program has the
// voip table and the policy's standing flows under OwnerVoIPStanding.
func compileDP(d *config.DP, learned *pipeline.Learned, q *config.QoS) (*pipeline.Program, error) {
	prog, err := pipeline.Compile(d, learned, compileOpts(q)...)
	if err != nil {
		return nil, fmt.Errorf("dp %s: compile: %w", d.Name, err)
	}
	if pl, ok := Placement(d, prog); ok && q != nil {
		if fs := qos.StandingFlows(q, pl); len(fs) > 0 {
			prog.Flows[OwnerVoIPStanding] = fs
		}
		ethSrc, _ := prog.Tables.ID(pipeline.TableEthSrc)
		if fs := qos.TrustFlows(q, d, pl, ethSrc); len(fs) > 0 {
			prog.Flows[OwnerVoIPTrust] = fs
		}
	}
	return prog, nil
}

// Placement says where per-call voice flows go in a DP's program: the voip
// table, the table each VLAN continues to, and the DP cookie. ok is false
// when the program has no voip table.
func Placement(d *config.DP, prog *pipeline.Program) (qos.Placement, bool) {
	t, ok := prog.Tables.ID(pipeline.TableVoIP)
	if !ok {
		return qos.Placement{}, false
	}
	pl := qos.Placement{DP: d.Name, Table: t, Next: map[uint16]uint8{}, Cookie: d.Cookie}
	for _, v := range d.VLANs {
		if n, ok := prog.VoIPNext(v.VID); ok {
			pl.Next[v.VID] = n
		}
	}
	return pl, true
}
