package tracker

import (
	"hash/maphash"
	"iter"
)

// byID maps ids (Uniqueids, Linkedids) to the tracker's records. It holds
// every call and leg in progress, so its slots count at ten thousand
// calls: keyed by the id, a slot takes 24 bytes; keyed by a seeded
// 64-bit hash of it, as here, 16. A lookup checks the record's own id; an
// id whose hash another id holds goes to spill, which is almost always
// empty. An id is in m or in spill, never in both. The zero value is not
// ready: see newByID.
type byID[V any] struct {
	m     map[uint64]*V
	spill map[string]*V
	id    func(*V) string
	hash  func(string) uint64 // a seeded maphash; tests make ids collide
}

func newByID[V any](id func(*V) string) byID[V] {
	seed := maphash.MakeSeed()
	return byID[V]{m: map[uint64]*V{}, id: id, hash: func(s string) uint64 { return maphash.String(seed, s) }}
}

func (x *byID[V]) get(id string) *V {
	if v := x.m[x.hash(id)]; v != nil && x.id(v) == id {
		return v
	}
	return x.spill[id]
}

// put maps id to v, replacing what id mapped to.
func (x *byID[V]) put(id string, v *V) {
	h := x.hash(id)
	switch o := x.m[h]; {
	case o == nil:
		delete(x.spill, id)
		x.m[h] = v
	case x.id(o) == id:
		x.m[h] = v
	default:
		if x.spill == nil {
			x.spill = map[string]*V{}
		}
		x.spill[id] = v
	}
}

func (x *byID[V]) del(id string) {
	h := x.hash(id)
	if o := x.m[h]; o != nil && x.id(o) == id {
		delete(x.m, h)
		return
	}
	delete(x.spill, id)
}

func (x *byID[V]) len() int { return len(x.m) + len(x.spill) }

// all yields every record, in no particular order; records may be added
// and removed while it runs, as with a map.
func (x *byID[V]) all() iter.Seq[*V] {
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
