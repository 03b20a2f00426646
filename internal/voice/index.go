package voice

import (
	"hash/maphash"
	"iter"
)

// The merged view keeps a record per call and per leg for as long as the
// call lasts, so its indexes and records are sized for ten thousand calls
// (docs/benchmarks.md): a map keyed by the two strings of a callKey or
// legKey takes 40 bytes a slot, one keyed by their 64-bit hash 16.

// pairKey is a (server, id) pair: callKey or legKey.
type pairKey interface {
	comparable
	pair() (server, id string)
}

func (k callKey) pair() (string, string) { return k.server, k.id }
func (k legKey) pair() (string, string)  { return k.server, k.id }

// index maps keys to records by the key's hash; a lookup checks that the
// record answers to the key (is). A key whose hash another key holds
// goes to spill, which is almost always empty. A key is in m or in spill,
// never in both. Not safe for concurrent use.
type index[K pairKey, V any] struct {
	m     map[uint64]*V
	spill map[K]*V
	is    func(*V, K) bool
	hash  func(K) uint64 // a seeded maphash; tests make keys collide
}

func newIndex[K pairKey, V any](is func(*V, K) bool) index[K, V] {
	seed := maphash.MakeSeed()
	return index[K, V]{m: map[uint64]*V{}, is: is, hash: func(k K) uint64 { return pairHash(seed, k) }}
}

func pairHash[K pairKey](seed maphash.Seed, k K) uint64 {
	server, id := k.pair()
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(server)
	h.WriteByte(0) // ("ab", "c") is not ("a", "bc")
	h.WriteString(id)
	return h.Sum64()
}

func (x *index[K, V]) get(k K) *V {
	if v := x.m[x.hash(k)]; v != nil && x.is(v, k) {
		return v
	}
	return x.spill[k]
}

func (x *index[K, V]) put(k K, v *V) {
	h := x.hash(k)
	switch o := x.m[h]; {
	case o == nil:
		delete(x.spill, k)
		x.m[h] = v
	case x.is(o, k):
		x.m[h] = v
	default:
		if x.spill == nil {
			x.spill = map[K]*V{}
		}
		x.spill[k] = v
	}
}

func (x *index[K, V]) del(k K) {
	h := x.hash(k)
	if o := x.m[h]; o != nil && x.is(o, k) {
		delete(x.m, h)
		return
	}
	delete(x.spill, k)
}

func (x *index[K, V]) len() int { return len(x.m) + len(x.spill) }

// all yields every record, in no particular order; the index may be
// changed while it runs, as a map may.
func (x *index[K, V]) all() iter.Seq[*V] {
	return func(yield func(*V) bool) {
		for _, v := range x.m {
			if !yield(v) {
				return
			}
		}
		for _, v := range x.spill {
			if !yield(v) {
				return
			}
		}
	}
}
