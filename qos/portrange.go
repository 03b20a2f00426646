package qos

import (
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// portRangeFields covers the inclusive range [lo, hi] of a transport port
// field with the fewest value/mask pairs. OpenFlow has no range match, so a
// range becomes a set of flows, one per aligned power-of-two block
// (10000-20000 takes 12 blocks).
func portRangeFields(f of13.Field, lo, hi uint16) []of13.MatchField {
	var out []of13.MatchField
	for cur := uint32(lo); cur <= uint32(hi); {
		size := uint32(1)
		// Grow the block while it stays aligned and inside the range.
		for cur%(size*2) == 0 && cur+size*2-1 <= uint32(hi) && size < 1<<16 {
			size *= 2
		}
		mask := uint16(^(size - 1))
		if size == 1<<16 {
			mask = 0
		}
		out = append(out, of13.MaskedPortField(f, uint16(cur), mask))
		cur += size
	}
	return out
}
