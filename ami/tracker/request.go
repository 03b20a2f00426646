package tracker

import (
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// RequestKind names what a Request asks.
type RequestKind string

// Request kinds.
const (
	KindGetvar    RequestKind = "getvar"
	KindStatus    RequestKind = "status"
	KindResync    RequestKind = "coreshowchannels"
	KindOriginate RequestKind = "originate" // only observed in replays
)

// Variables asked with Getvar. Never configure these as manager.conf
// channelvars: that deadlocked Asterisk 22 on the next call.
const (
	VarRTPDest = "CHANNEL(rtp,dest)"
	VarRTPSrc  = "CHANNEL(rtp,src)"
	// VarRTPDirect is the address chan_pjsip told the leg's phone to send
	// its media to when the bridge runs direct media (the peer phone's);
	// "(null)" or empty while Asterisk anchors the media itself.
	VarRTPDirect = "CHANNEL(rtp,direct)"
)

// Request is an action the tracker wants sent; feed its response back
// with Answer.
type Request struct {
	Kind     RequestKind
	Leg      string // Uniqueid
	Channel  string
	Variable string
	// Delay asks the sender to wait this long first (retries).
	Delay time.Duration
	// Gen is the tracker's sequence number when a resync was asked: legs
	// first seen after it are never closed by that resync.
	Gen uint64
	// ActionID is set for observed requests (replay of Originate).
	ActionID string
}

// Action returns the AMI action for the request.
func (r Request) Action() ami.Action {
	switch r.Kind {
	case KindGetvar:
		return ami.NewAction("Getvar", "Channel", r.Channel, "Variable", r.Variable)
	case KindStatus:
		return ami.NewAction("Status", "Channel", r.Channel)
	case KindResync:
		return ami.NewAction("CoreShowChannels")
	}
	return ami.Action{}
}

// ResyncRequest returns the request that resynchronises the tracker
// after a (re)connect or an event overflow.
func (t *Tracker) ResyncRequest() Request {
	return Request{Kind: KindResync, Gen: t.seq}
}

// RequestFromAction maps an action a client sent to a Request, for
// replays: Getvar, Status, CoreShowChannels and Originate are understood.
// gen is the tracker's Seq at the time the response is fed.
func RequestFromAction(a ami.Action, gen uint64) (Request, bool) {
	switch a.Name {
	case "Getvar":
		return Request{Kind: KindGetvar, Channel: a.Get("Channel"), Variable: a.Get("Variable")}, true
	case "Status":
		return Request{Kind: KindStatus, Channel: a.Get("Channel")}, true
	case "CoreShowChannels":
		return Request{Kind: KindResync, Gen: gen}, true
	case "Originate":
		return Request{Kind: KindOriginate, Channel: a.Get("Channel"), ActionID: a.Get("ActionID")}, true
	}
	return Request{}, false
}

// Seq returns the number of events applied so far.
func (t *Tracker) Seq() uint64 { return t.seq }
