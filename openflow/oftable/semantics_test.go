package oftable

import (
	"math/rand/v2"
	"net"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// The selection rules are defined per field (§6.4: "exactly matches or is
// more specific"); on fields whose bits vary independently that is the
// same as set inclusion, and overlap is "some packet matches both". These
// tests check covers, overlaps and lookup against brute force over every
// packet of a small domain: three ports, and the low three bits of the
// metadata and of the destination MAC, with masks only on varying bits.

func randSmallMatch(r *rand.Rand) of13.Match {
	var m of13.Match
	if r.IntN(2) == 0 {
		m = m.With(of13.InPort(uint32(1 + r.IntN(3))))
	}
	if r.IntN(2) == 0 {
		m = m.With(of13.Metadata(uint64(r.IntN(8)), uint64(1+r.IntN(7))))
	}
	if r.IntN(2) == 0 {
		mask := net.HardwareAddr{0, 0, 0, 0, 0, byte(1 + r.IntN(7))}
		m = m.With(of13.MaskedMACField(of13.FieldEthDst, net.HardwareAddr{0, 0, 0, 0, 0, byte(r.IntN(8))}, mask))
	}
	return m
}

func smallDomain() []fieldVec {
	var out []fieldVec
	for port := uint32(1); port <= 3; port++ {
		for md := range uint64(8) {
			for mac := range byte(8) {
				p := Packet{InPort: port, Metadata: md, EthDst: net.HardwareAddr{0, 0, 0, 0, 0, mac}, EthSrc: macA}
				var v fieldVec
				p.extract(&v)
				out = append(out, v)
			}
		}
	}
	return out
}

func TestCoversAndOverlapsAgreeWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 17))
	dom := smallDomain()
	for range 3000 {
		a, b := randSmallMatch(r), randSmallMatch(r)
		subset, shared := true, false
		for i := range dom {
			ma, mb := matches(a, &dom[i]), matches(b, &dom[i])
			if mb && !ma {
				subset = false
			}
			if ma && mb {
				shared = true
			}
		}
		if got := covers(a, b); got != subset {
			t.Fatalf("covers(%v, %v) = %v, brute force %v", a, b, got, subset)
		}
		if got := overlaps(a, b); got != shared {
			t.Fatalf("overlaps(%v, %v) = %v, brute force %v", a, b, got, shared)
		}
	}
}

func TestLookupPicksHighestPriority(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for round := range 100 {
		tbl := New(Config{})
		for range 15 {
			f := of13.Flow{Priority: uint16(r.IntN(5)), Match: randSmallMatch(r)}
			mustAdd(t, tbl, f)
		}
		tr := &tracer{t: tbl}
		for port := uint32(1); port <= 3; port++ {
			for md := range uint64(8) {
				for mac := range byte(8) {
					p := Packet{InPort: port, Metadata: md, EthDst: net.HardwareAddr{0, 0, 0, 0, 0, mac}, EthSrc: macA}
					var v fieldVec
					p.extract(&v)
					best := -1
					for _, f := range tbl.Flows() {
						if matches(f.Match, &v) && int(f.Priority) > best {
							best = int(f.Priority)
						}
					}
					e := tr.lookup(0, &p)
					if (e == nil) != (best < 0) || (e != nil && int(e.flow.Priority) != best) {
						t.Fatalf("round %d: packet %s: lookup chose %v, highest matching priority %d", round, p.String(), e, best)
					}
				}
			}
		}
	}
}
