package tracker

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// resync reconciles the tracker with a CoreShowChannels snapshot: legs it
// knew that are gone ended while the connection was down; channels it did
// not know are added; live answered legs have their media asked again.
func (t *Tracker) resync(req Request, snapshot []ami.Message, now time.Time) []Event {
	var evs []Event
	present := map[string]bool{}
	for _, m := range snapshot {
		uid := m.Get("Uniqueid")
		if uid == "" || t.ended[uid] {
			continue
		}
		present[uid] = true
		known := t.legs[uid] != nil
		l, more := t.ensure(m, "", now, true)
		if l == nil {
			continue
		}
		if !known {
			if c := t.calls[l.linkedid]; c != nil && len(c.legs) == 1 {
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
	for _, c := range t.calls {
		for _, l := range c.legs {
			if t.legs[l.info.Uniqueid] == l && l.seen <= req.Gen && !present[l.info.Uniqueid] {
				gone = append(gone, l)
			}
		}
	}
	sortLegs(gone)
	for _, l := range gone {
		evs = append(evs, t.endLeg(l, 0, "", ReasonDisconnected, now)...)
	}
	calls := t.CallIDs()
	slices.Sort(calls)
	return append(evs, Resynced{Header: t.header("", now), Calls: calls})
}

func sortLegs(ls []*leg) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].seen < ls[j-1].seen; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

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
