package voice

import (
	"fmt"
	"testing"
)

// TestIndexKeepsKeysApartWhenHashesCollide makes every key's hash the same,
// so that all but one go to spill, and checks that puts, gets, deletes and
// the walk still see each key's own record.
func TestIndexKeepsKeysApartWhenHashesCollide(t *testing.T) {
	for _, collide := range []bool{false, true} {
		t.Run(fmt.Sprint("collide=", collide), func(t *testing.T) {
			x := newIndex((*mcall).isCall)
			if collide {
				x.hash = func(callKey) uint64 { return 7 }
			}
			keys := []callKey{{"pbx1", "a"}, {"pbx1", "b"}, {"pbx2", "a"}, {"pbx1a", ""}, {"pbx", "1a"}}
			for _, k := range keys {
				x.put(k, &mcall{key: k})
			}
			if x.len() != len(keys) {
				t.Fatalf("len %d, want %d", x.len(), len(keys))
			}
			for _, k := range keys {
				if c := x.get(k); c == nil || c.key != k {
					t.Fatalf("get(%v) = %v", k, c)
				}
			}
			// Deleting the key that holds the hash leaves the others.
			x.del(keys[0])
			if x.get(keys[0]) != nil {
				t.Fatalf("%v still there after del", keys[0])
			}
			for _, k := range keys[1:] {
				if c := x.get(k); c == nil || c.key != k {
					t.Fatalf("after del, get(%v) = %v", k, c)
				}
			}
			// A key put again after its slot was freed is found once,
			// with its new record, and deleted for good.
			x.put(keys[0], &mcall{key: keys[0], class: "new"})
			x.del(keys[1])
			again := &mcall{key: keys[1], class: "again"}
			x.put(keys[1], again)
			if c := x.get(keys[1]); c != again {
				t.Fatalf("get(%v) = %v, want the record put last", keys[1], c)
			}
			x.del(keys[1])
			if c := x.get(keys[1]); c != nil {
				t.Fatalf("get(%v) = %v after del", keys[1], c)
			}
			seen := map[callKey]int{}
			for c := range x.all() {
				seen[c.key]++
			}
			want := map[callKey]int{keys[0]: 1, keys[2]: 1, keys[3]: 1, keys[4]: 1}
			if fmt.Sprint(seen) != fmt.Sprint(want) || x.len() != len(want) {
				t.Fatalf("walk %v (len %d), want %v", seen, x.len(), want)
			}
		})
	}
}
