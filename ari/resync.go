package ari

import (
	"cmp"
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/call"
)

// Snapshot is what the PBX holds, read after the events WebSocket opened:
// GET /ari/channels, GET /ari/bridges, and CHANNEL(linkedid) of the
// channels the Follower did not know (Linkedids; a channel missing there
// vanished meanwhile, or its Linkedid could not be read, and is its own
// call).
type Snapshot struct {
	Channels  []Channel
	Bridges   []Bridge
	Linkedids map[string]string
}

// Resync reconciles the Follower with a snapshot: legs it knew that are
// gone ended while it was not connected; channels it did not know are
// added (CallStarted with Resynced); answered legs have their media asked
// again. gen is Seq() when the snapshot was asked: legs first seen after
// it were not in the snapshot's world and are kept. It ends with Resynced.
func (f *Follower) Resync(s Snapshot, gen uint64, now time.Time) []call.Event {
	bridgeOf := map[string]string{}
	for _, b := range s.Bridges {
		for _, id := range b.Channels {
			bridgeOf[id] = b.ID
		}
	}
	var evs []call.Event
	present := make(map[string]bool, len(s.Channels))
	// Creation order, so that a Local ;1 is filed before its ;2 and a
	// call's first leg starts it.
	chans := slices.Clone(s.Channels)
	slices.SortStableFunc(chans, func(a, b Channel) int { return cmp.Compare(a.CreationTime, b.CreationTime) })
	for _, ch := range chans {
		if ch.ID == "" || f.ended[ch.ID] {
			continue
		}
		present[ch.ID] = true
		known := f.legs[ch.ID] != nil
		l, more := f.ensure(ch, now)
		if l == nil {
			evs = append(evs, more...)
			continue
		}
		evs = append(evs, more...)
		if l.call == "" {
			id := s.Linkedids[ch.ID]
			if id == "" {
				id = ch.ID
			}
			before := len(evs)
			evs = append(evs, f.resolve(l, id, now)...)
			if !known {
				for i := before; i < len(evs); i++ {
					if cs, ok := evs[i].(call.CallStarted); ok {
						cs.Resynced = true
						evs[i] = cs
					}
				}
			}
		}
		l.info.Bridge = bridgeOf[ch.ID]
		if l.info.Bridge != "" {
			l.bridged = true
		}
		if ch.State == "Up" {
			if l.answered {
				// The media may have moved while we were away.
				l.reported, l.tries = false, 0
				if !l.unicast {
					l.pending = nil
				}
				f.askMedia(l, 0)
			} else {
				evs = append(evs, f.answer(l, now)...)
			}
		}
	}
	var gone []*leg
	for _, l := range f.legs {
		if l.seen <= gen && !present[l.info.Uniqueid] {
			gone = append(gone, l)
		}
	}
	slices.SortFunc(gone, func(a, b *leg) int { return cmp.Compare(a.seen, b.seen) })
	for _, l := range gone {
		evs = append(evs, f.endLeg(l, 0, "", call.ReasonDisconnected, now)...)
	}
	ids := make([]string, 0, len(f.calls))
	for id := range f.calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return append(evs, call.Resynced{Header: f.header("", now), Calls: ids})
}
