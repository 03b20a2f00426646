package tracker

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// resync reconciles the tracker with a CoreShowChannels snapshot: legs it
// knew that are gone ended while the connection was down; channels it did
// not know are added; live answered legs have their media asked again.
//
// A server with tens of thousands of channels makes this a long loop: it
// stops when ctx ends (shutdown), returning what it did so far; the
// tracker is then left as it was mid-way, which matters not, as its owner
// is going away. A cancelled resync is not reported as Resynced.
func (t *Tracker) resync(ctx context.Context, req Request, snapshot []ami.Message, now time.Time) []Event {
	var evs []Event
	present := make(map[string]bool, len(snapshot))
	for i, m := range snapshot {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return evs
		}
		uid := m.Get("Uniqueid")
		if uid == "" || t.ended[uid] {
			continue
		}
		present[uid] = true
		known := t.legs.get(uid) != nil
		l, more := t.ensure(m, "", now, true)
		if l == nil {
			continue
		}
		if !known {
			if c := t.calls.get(l.call.id); c != nil && c.nlegs() == 1 {
				c.start = now.Add(-parseHMS(m.Get("Duration")))
			}
		}
		evs = append(evs, more...)
		if m.Get("ChannelStateDesc") == "Up" {
			if l.answered {
				t.queryMedia(l) // re-query: media may have moved
			} else {
				evs = append(evs, t.answer(l, now)...)
			}
			if m.Get("BridgeId") != "" {
				// A bridged call may be running direct media. A check
				// pending from before the reconnect was lost with it.
				l.directPending = false
				t.askDirect(l, 0)
			}
		}
	}
	// Close, in a stable order, what vanished: legs known before the
	// resync was asked and absent from the snapshot.
	var gone []*leg
	for c := range t.calls.all() {
		for l := range c.legs() {
			if t.legs.get(l.uid()) == l && l.seen <= req.Gen && !present[l.uid()] {
				gone = append(gone, l)
			}
		}
	}
	// Sequence numbers are unique: the order is total, and stable.
	slices.SortFunc(gone, func(a, b *leg) int { return cmp.Compare(a.seen, b.seen) })
	for i, l := range gone {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return evs
		}
		evs = append(evs, t.endLeg(l, 0, "", ReasonDisconnected, now)...)
	}
	calls := t.CallIDs()
	slices.Sort(calls)
	return append(evs, Resynced{Header: t.header("", now), Calls: calls})
}

// checkEvery is how many items a long loop handles between looks at its
// context.
const checkEvery = 1024

// parseHMS parses CoreShowChannel's Duration ("00:01:07").
func parseHMS(s string) time.Duration {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return 0
		}
		d += time.Duration(n) * unit
	}
	return d
}
