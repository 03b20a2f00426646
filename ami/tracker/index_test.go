package tracker

import (
	"fmt"
	"testing"
)

// TestByIDKeepsIDsApartWhenHashesCollide makes every id's hash the same, so
// that all but one go to spill, and checks that puts, gets, deletes and
// the walk still see each id's own record.
func TestByIDKeepsIDsApartWhenHashesCollide(t *testing.T) {
	for _, collide := range []bool{false, true} {
		t.Run(fmt.Sprint("collide=", collide), func(t *testing.T) {
			x := newByID(func(c *call) string { return c.id })
			if collide {
				x.hash = func(string) uint64 { return 7 }
			}
			ids := []string{"1.1", "1.2", "", "1.10", "2.1"}
			for _, id := range ids {
				x.put(id, &call{id: id})
			}
			if x.len() != len(ids) {
				t.Fatalf("len %d, want %d", x.len(), len(ids))
			}
			for _, id := range ids {
				if c := x.get(id); c == nil || c.id != id {
					t.Fatalf("get(%q) = %v", id, c)
				}
			}
			if c := x.get("9.9"); c != nil {
				t.Fatalf("get of an id never put = %v", c)
			}
			// A put for an id that is there replaces its record.
			repl := &call{id: ids[1], dialStatus: "ANSWER"}
			x.put(ids[1], repl)
			if c := x.get(ids[1]); c != repl || x.len() != len(ids) {
				t.Fatalf("after a second put, get(%q) = %v, len %d", ids[1], c, x.len())
			}
			// Deleting the id that holds the hash leaves the others.
			x.del(ids[0])
			if x.get(ids[0]) != nil {
				t.Fatalf("%q still there after del", ids[0])
			}
			for _, id := range ids[1:] {
				if c := x.get(id); c == nil || c.id != id {
					t.Fatalf("after del, get(%q) = %v", id, c)
				}
			}
			// An id put again after its slot was freed is found once,
			// with its new record, and deleted for good.
			x.put(ids[0], &call{id: ids[0]})
			x.del(ids[1])
			again := &call{id: ids[1], dialStatus: "BUSY"}
			x.put(ids[1], again)
			if c := x.get(ids[1]); c != again {
				t.Fatalf("get(%q) = %v, want the record put last", ids[1], c)
			}
			x.del(ids[1])
			if c := x.get(ids[1]); c != nil {
				t.Fatalf("get(%q) = %v after del", ids[1], c)
			}
			seen := map[string]int{}
			for c := range x.all() {
				seen[c.id]++
			}
			want := map[string]int{ids[0]: 1, ids[2]: 1, ids[3]: 1, ids[4]: 1}
			if fmt.Sprint(seen) != fmt.Sprint(want) || x.len() != len(want) {
				t.Fatalf("walk %v (len %d), want %v", seen, x.len(), want)
			}
		})
	}
}
