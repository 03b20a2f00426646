package tracker

import "strings"

// Message fields share one string per message (ami.Reader converts each
// message once), so keeping any field would keep the whole message, about
// a kilobyte, alive for as long as the call lasts. What the tracker keeps
// is therefore copied: names that recur across legs (channel states, dial
// statuses, codecs, caller ids, extensions, hangup causes) through a
// per-tracker intern table, so ten thousand legs share a handful of
// strings; names unique to one leg (Uniqueid, channel) with own.

// maxNames bounds the intern table: past it, names are copied per use, so
// a stream of distinct values cannot grow the table without end.
const maxNames = 4096

// names is an intern table. The zero value is ready to use.
type names struct {
	m map[string]string
}

// get returns a copy of s that does not share the message's memory,
// the same copy every time while the table has room.
func (n *names) get(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := n.m[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if n.m == nil {
		n.m = make(map[string]string)
	}
	if len(n.m) < maxNames {
		n.m[v] = v
	}
	return v
}

// own copies a field unique to one leg out of its message.
func own(s string) string { return strings.Clone(s) }

// join copies fields out of their message in one allocation (never
// sharing the message's memory, as a + b may when b is empty).
func join(fs ...string) string {
	n := 0
	for _, f := range fs {
		n += len(f)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fs {
		b.WriteString(f)
	}
	return b.String()
}
