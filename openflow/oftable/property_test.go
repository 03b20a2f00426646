package oftable

import (
	"math/rand/v2"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// randFlowMod draws a flow-mod from a small space, so that keys collide and
// non-strict selections overlap often.
func randFlowMod(r *rand.Rand) of13.FlowMod {
	var m of13.Match
	if r.IntN(3) > 0 {
		m = m.With(of13.InPort(uint32(1 + r.IntN(3))))
	}
	switch r.IntN(3) {
	case 0:
		m = m.With(of13.VlanVID(uint16(100 + r.IntN(2))))
	case 1:
		m = m.With(of13.VlanNone())
	}
	if r.IntN(2) == 0 {
		m = m.With(of13.EthType(0x0800))
	}
	f := of13.Flow{Table: uint8(r.IntN(3)), Priority: uint16(1 + r.IntN(3)), Match: m, Cookie: uint64(r.IntN(4))}
	switch r.IntN(3) {
	case 0:
		f.Instr = apply(of13.Output(uint32(1 + r.IntN(4))))
	case 1:
		if f.Table < 2 {
			f.Instr = of13.Goto(f.Table + 1)
		}
	}
	fm := of13.FlowMod{Flow: f}
	switch x := r.IntN(10); {
	case x < 5:
		fm.Command = of13.FlowAdd
	case x < 7:
		fm.Command = of13.FlowDeleteStrict
	case x < 8:
		fm.Command = of13.FlowDelete
		fm.CookieMask = uint64(r.IntN(2)) * 3
		if r.IntN(4) == 0 {
			fm.Table = of13.TableAll
		}
	case x < 9:
		fm.Command = of13.FlowModify
	default:
		fm.Command = of13.FlowModifyStrict
	}
	return fm
}

func TestRandomBatchesAreRedundantSafe(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		base := New(Config{NumTables: 3})
		for range 10 {
			fm := randFlowMod(r)
			fm.Command, fm.CookieMask = of13.FlowAdd, 0
			if fm.Table == of13.TableAll {
				fm.Table = 0
			}
			mustApply(t, base, fm)
		}
		n := 1 + r.IntN(12)
		msgs := make([]of13.Message, n)
		for i := range msgs {
			msgs[i] = randFlowMod(r)
		}
		if err := base.CheckRedundantSafe(msgs); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		// Applying the batch twice leaves what applying it once does.
		once, twice := base.Clone(), base.Clone()
		mustApply(t, once, msgs...)
		mustApply(t, twice, msgs...)
		mustApply(t, twice, msgs...)
		if once.String() != twice.String() {
			t.Fatalf("round %d: batch not idempotent", round)
		}
	}
}

func TestCheckRedundantSafeDetectsUnsafeBatches(t *testing.T) {
	base := New(Config{})
	mustApply(t, base, groupAdd(1, of13.GroupTypeAll, bucket(of13.Output(1))))
	// Adding an existing group (instead of modifying it) fails; a
	// controller must not send such a batch.
	err := base.CheckRedundantSafe([]of13.Message{groupAdd(1, of13.GroupTypeAll, bucket(of13.Output(2)))})
	if err == nil {
		t.Fatal("group add of an existing group must be reported")
	}
	// Deleting, re-adding and using a meter is safe to resend.
	mm := func(c of13.ModCommand) of13.MeterMod {
		return of13.MeterMod{Command: c, Meter: of13.Meter{ID: 1, Bands: []of13.MeterBand{{Type: of13.BandDrop, Rate: 1}}}}
	}
	f := of13.AddFlow(flow(0, 1, nil, of13.Instructions{Meter: 1}))
	if err := base.CheckRedundantSafe([]of13.Message{mm(of13.ModDelete), mm(of13.ModAdd), f}); err != nil {
		t.Fatalf("delete, add, use is safe: %v", err)
	}
}
