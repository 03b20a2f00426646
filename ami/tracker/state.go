package tracker

import (
	"iter"
	"net/netip"
	"strings"
	"time"
	"unsafe"
)

// The tracker keeps a record per call for as long as the call lasts, so
// at ten thousand calls its layout is part of the memory budget
// (docs/benchmarks.md). A call and its first two legs (nearly every call
// has two) are one 512-byte allocation: a call, two legs and a slice of
// them allocated apart were four objects, two of them in size classes
// that per-event garbage churns through, where ten thousand long-lived
// records keep part-empty spans in use. To fit, a leg keeps its call.Leg
// field by field (info builds it), its media's addresses apart from their
// ports, and what few legs have behind one pointer (rare).

// call is one call (Linkedid) with its legs. Legs are only added, never
// removed, until the call ends, so a leg's address never changes.
type call struct {
	id         string
	start      time.Time
	answeredAt time.Time
	dialStatus string
	cause      int
	causeText  string
	first      [2]leg  // a leg with no call is not used yet
	more       *[]*leg // legs past the first two, allocated alone; nil for most calls
}

// leg is one channel. It is kept for as long as the channel lives, so it
// holds what the next events need and no more: the last MediaKnown is
// remembered as a flag (reported), not as a copy.
type leg struct {
	// ids is the Uniqueid (its first nuid bytes) and the channel name,
	// copied out of their message in one allocation.
	ids                                        string
	state, callerID, exten, dialStatus, bridge string

	// call is the call the leg was created in; its id is the leg's
	// Linkedid. Where the leg's call is wanted, it is looked up by that
	// id (t.calls), which is the authority on which call holds an id.
	call *call
	seen uint64 // Apply sequence number when first seen

	// The media from Getvar: local is the PBX's end (rtp,src), remote
	// the phone's (rtp,dest).
	localIP, remoteIP netip.Addr
	codec             string
	rare              *legRare

	nuid                  uint32
	localPort, remotePort uint16
	tries                 uint8
	answered              bool
	// Answers still awaited for the media requests.
	destPending, srcPending, statusPending, directPending bool
	// reported: the last MediaKnown came from Getvar and remote, local
	// and codec have not changed since.
	reported bool
}

// legRare holds what few legs have: the other half of a Local channel
// pair, and alt, media reported other than Getvar's src/dest pair
// (inferred from RTCP while Getvar had given none, or the peer phone
// while the media runs direct).
type legRare struct {
	localPeer string
	alt       altMedia
	hasAlt    bool
}

// altMedia is a leg's media as last reported other than from Getvar's
// src/dest pair. With direct, local is the peer phone the leg's phone sends
// to (CHANNEL(rtp,direct)) and remote and codec are the leg's own; without,
// all three were inferred from RTCP.
type altMedia struct {
	local, remote netip.AddrPort
	codec         string
	direct        bool
}

// The layout is part of the memory budget: a call with its two legs is
// exactly one 512-byte size class.
var (
	_ [200]byte = [unsafe.Sizeof(leg{})]byte{}
	_ [512]byte = [unsafe.Sizeof(call{})]byte{}
)

// newLeg adds a leg to the call and returns it, zero but for its call.
func (c *call) newLeg() *leg {
	for i := range c.first {
		if c.first[i].call == nil {
			c.first[i].call = c
			return &c.first[i]
		}
	}
	if c.more == nil {
		c.more = new([]*leg)
	}
	l := &leg{call: c}
	*c.more = append(*c.more, l)
	return l
}

// legs yields the call's legs in the order they were added.
func (c *call) legs() iter.Seq[*leg] {
	return func(yield func(*leg) bool) {
		for i := range c.first {
			if c.first[i].call != nil && !yield(&c.first[i]) {
				return
			}
		}
		if c.more == nil {
			return
		}
		for _, l := range *c.more {
			if !yield(l) {
				return
			}
		}
	}
}

// nlegs returns the number of the call's legs.
func (c *call) nlegs() int {
	n := 0
	for range c.legs() {
		n++
	}
	return n
}

func (l *leg) uid() string     { return l.ids[:l.nuid] }
func (l *leg) channel() string { return l.ids[l.nuid:] }

// setIDs copies a leg's Uniqueid and channel name out of their message.
func (l *leg) setIDs(uid, channel string) {
	l.ids, l.nuid = join(uid, channel), uint32(len(uid))
}

// isLocal reports a Local/ channel, which carries no RTP of its own.
func (l *leg) isLocal() bool { return strings.HasPrefix(l.channel(), "Local/") }

// info is the leg as its events report it.
func (l *leg) info() Leg {
	lg := Leg{
		Uniqueid: l.uid(), Channel: l.channel(), State: l.state, Local: l.isLocal(),
		CallerID: l.callerID, Exten: l.exten, DialStatus: l.dialStatus, Bridge: l.bridge,
	}
	if l.rare != nil {
		lg.LocalPeer = l.rare.localPeer
	}
	return lg
}

func (l *leg) local() netip.AddrPort  { return netip.AddrPortFrom(l.localIP, l.localPort) }
func (l *leg) remote() netip.AddrPort { return netip.AddrPortFrom(l.remoteIP, l.remotePort) }

// setLocal and setRemote change an end of the media; a change means the
// last MediaKnown no longer says it.
func (l *leg) setLocal(ap netip.AddrPort) {
	if ap != l.local() {
		l.localIP, l.localPort, l.reported = ap.Addr(), ap.Port(), false
	}
}

func (l *leg) setRemote(ap netip.AddrPort) {
	if ap != l.remote() {
		l.remoteIP, l.remotePort, l.reported = ap.Addr(), ap.Port(), false
	}
}

// alt returns the leg's alternative media, nil if it has none.
func (l *leg) alt() *altMedia {
	if l.rare == nil || !l.rare.hasAlt {
		return nil
	}
	return &l.rare.alt
}

// setAlt replaces the leg's alternative media (nil: none) and returns it.
func (l *leg) setAlt(a *altMedia) *altMedia {
	switch {
	case a != nil && l.rare == nil:
		l.rare = &legRare{}
	case a == nil && l.rare == nil:
		return nil
	case a == nil && l.rare.localPeer == "":
		l.rare = nil
		return nil
	case a == nil:
		l.rare.alt, l.rare.hasAlt = altMedia{}, false
		return nil
	}
	l.rare.alt, l.rare.hasAlt = *a, true
	return &l.rare.alt
}

// setLocalPeer records the other half of a Local channel pair.
func (l *leg) setLocalPeer(uid string) {
	if l.rare == nil {
		l.rare = &legRare{}
	}
	l.rare.localPeer = uid
}
