package qos

import (
	"net/netip"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Reading back a per-call flow found on a switch: which stream it carries
// and which rule built it, so that a store can tell whether the flows a
// switch holds are exactly the ones a leg's plan would build (adoption).

// Carries reports whether f matches the UDP stream src -> dst.
func Carries(f *of13.Flow, src, dst netip.AddrPort) bool {
	fam := ethIPv4
	if !src.Addr().Is4() {
		fam = ethIPv6
	}
	get := func(fl of13.Field) (of13.MatchField, bool) { return f.Match.Get(fl) }
	s, ok1 := get(addrField(fam, false))
	d, ok2 := get(addrField(fam, true))
	sp, ok3 := get(of13.FieldUDPSrc)
	dp, ok4 := get(of13.FieldUDPDst)
	return ok1 && ok2 && ok3 && ok4 && s.Addr() == src.Addr() && d.Addr() == dst.Addr() &&
		uint16(sp.Uint()) == src.Port() && uint16(dp.Uint()) == dst.Port()
}

// RuleOf reads back the rule a per-call flow was built from. FromLocal is
// not in the flow: the caller sets it from the leg it matches.
func RuleOf(f *of13.Flow) Rule {
	r := Rule{Table: f.Table, Next: f.Instr.GotoTable, Idle: f.IdleTimeout, NoMeter: f.Instr.Meter == 0}
	if p, ok := f.Match.Get(of13.FieldInPort); ok {
		r.Sender, r.InPort = true, uint32(p.Uint())
	}
	for _, a := range f.Instr.Apply {
		switch {
		case a.Type == of13.ActionSetField && a.Set.Field == of13.FieldIPDSCP:
			r.DSCP = uint8(a.Set.Uint())
		case a.Type == of13.ActionSetQueue:
			r.SetQueue(a.Arg)
		}
	}
	return r
}
