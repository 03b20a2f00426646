package eventbus

import "testing"

// A subscriber that does not read loses records past its bound, counted;
// another subscriber gets every record; Publish never blocks.
func TestSlowSubscriberDropsAlone(t *testing.T) {
	b := New()
	slow := b.Subscribe(4, nil)
	fast := b.Subscribe(1000, nil)
	calls := b.Subscribe(1000, func(r Record) bool { return r.Type == "VOIP_CALL" })
	for i := 0; i < 100; i++ {
		typ := "L2_LEARN"
		if i%10 == 0 {
			typ = "VOIP_CALL"
		}
		b.Publish(Record{Type: typ})
	}
	if len(fast.C) != 100 || slow.Dropped() != 96 || fast.Dropped() != 0 || len(calls.C) != 10 {
		t.Fatalf("fast %d slow dropped %d calls %d", len(fast.C), slow.Dropped(), len(calls.C))
	}
	var last uint64
	for i := 0; i < 100; i++ {
		r := <-fast.C
		if r.ID != last+1 || r.Time.IsZero() {
			t.Fatalf("record %d: id %d after %d", i, r.ID, last)
		}
		last = r.ID
	}
	if st := b.Stats(); st.Published != 100 || st.Dropped != 96 || st.Subscribers != 3 {
		t.Fatalf("stats %+v", st)
	}
	slow.Close()
	slow.Close()
	if _, ok := <-slow.C; !ok {
		t.Fatal("closed subscription still held records? want the 4 queued ones first")
	}
	b.Publish(Record{Type: "X"})
	if st := b.Stats(); st.Subscribers != 2 {
		t.Fatalf("after close: %+v", st)
	}
}
