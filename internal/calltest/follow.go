package calltest

import (
	"slices"
	"time"

	"github.com/voipsdn/voipsdn/internal/eventbus"
	"github.com/voipsdn/voipsdn/internal/netevents"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// follower keeps the VOIP_CALL records of the server until the test knows
// which call is its own (OriginateResponse names its first leg only).
// Bounded: a test lasts seconds, and the subscription's queue drops what
// a busy server sends beyond it.
type follower struct {
	recs []netevents.CallRecord
}

// maxRecords bounds what one test keeps.
const maxRecords = 100_000

func newFollower() *follower { return &follower{} }

func (f *follower) add(r eventbus.Record) {
	if c, ok := r.Body.(netevents.CallRecord); ok && len(f.recs) < maxRecords {
		f.recs = append(f.recs, c)
	}
}

// callOf returns the call that leg belongs to.
func (f *follower) callOf(leg string) string {
	for _, r := range f.recs {
		if r.Leg == leg {
			return r.Call
		}
	}
	return ""
}

func (f *follower) ended(call string) bool {
	for _, r := range f.recs {
		if r.Call == call && r.Event == netevents.CallEnd {
			return true
		}
	}
	return false
}

// dpids lists the switches the call's flows are on.
func (f *follower) dpids(call string) []uint64 {
	var out []uint64
	for _, r := range f.recs {
		if r.Call != call {
			continue
		}
		for _, p := range r.QoS {
			if !slices.Contains(out, p.DPID) {
				out = append(out, p.DPID)
			}
		}
	}
	return out
}

// fill puts into v what the records say about its call, and each leg's
// share of the flow counters (by its meters).
func (f *follower) fill(v *Verdict, ptime time.Duration, flows map[uint64][]of13.FlowStats) {
	legs := map[string]*Leg{}
	var order []string
	leg := func(id string) *Leg {
		l := legs[id]
		if l == nil {
			l = &Leg{Leg: id, WithinPtime: true}
			legs[id] = l
			order = append(order, id)
		}
		return l
	}
	for _, r := range f.recs {
		if r.Call != v.Call {
			continue
		}
		switch r.Event {
		case netevents.CallStart, netevents.CallAnswer:
			if r.Channel != "" {
				leg(r.Leg).Channel = r.Channel
			}
		case netevents.CallMedia:
			l := leg(r.Leg)
			l.Remote, l.Local, l.Codec = r.Remote, r.Local, r.Codec
		case netevents.CallQoS:
			l := leg(r.Leg)
			l.QoS = append(l.QoS, r.QoS...)
			l.InstallMS = max(l.InstallMS, r.InstallMS)
			l.WithinPtime = l.WithinPtime && r.InstallMS <= ms(ptime)
		case netevents.CallBestEffort:
			leg(r.Leg).BestEffort = r.Reason
		case netevents.CallQuality:
			if r.Quality != nil {
				l := leg(r.Leg)
				l.Quality = append(l.Quality, r.Quality)
			}
		case netevents.CallEnd:
			v.Cause, v.CauseText, v.DialStatus = r.Cause, r.CauseText, r.DialStatus
		}
	}
	for _, id := range order {
		l := legs[id]
		if len(l.QoS) == 0 {
			l.WithinPtime = false
		}
		for _, p := range l.QoS {
			for _, fl := range flows[p.DPID] {
				if p.MeterID != 0 && fl.Instr.Meter == p.MeterID {
					l.Packets += fl.PacketCount
					l.Bytes += fl.ByteCount
				}
			}
		}
		// Keep only the last few RTCP reports of each leg.
		if n := len(l.Quality); n > 4 {
			l.Quality = l.Quality[n-4:]
		}
		v.Legs = append(v.Legs, *l)
	}
}
