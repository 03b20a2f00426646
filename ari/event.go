package ari

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxFrame bounds one WebSocket message. Asterisk's events are a few
// kilobytes; a channel with many variables stays far below this.
const MaxFrame = 256 << 10

// maxID bounds channel and bridge ids and names accepted from the PBX.
const maxID = 256

// Event is one ARI event, with the fields the Follower reads. Unknown
// fields are ignored.
type Event struct {
	Type        string   `json:"type"`
	Timestamp   string   `json:"timestamp"`
	Application string   `json:"application"`
	Channel     *Channel `json:"channel"`
	// Dial: the dialled channel and, when a channel dialled it, the caller.
	Peer   *Channel `json:"peer"`
	Caller *Channel `json:"caller"`
	Bridge *Bridge  `json:"bridge"`
	// ChannelVarset.
	Variable string `json:"variable"`
	Value    string `json:"value"`
	// ChannelHangupRequest, ChannelDestroyed. Cause is absent from the
	// first hangup request of a phone's BYE.
	Cause    *int   `json:"cause"`
	CauseTxt string `json:"cause_txt"`
	Soft     bool   `json:"soft"`
	// Dial.
	DialStatus string `json:"dialstatus"`
	DialString string `json:"dialstring"`
	// StasisStart.
	Args []string `json:"args"`
}

// Channel is ARI's channel object.
type Channel struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	State        string            `json:"state"`
	Caller       CallerID          `json:"caller"`
	Dialplan     Dialplan          `json:"dialplan"`
	CreationTime string            `json:"creationtime"`
	ChannelVars  map[string]string `json:"channelvars"`
}

// CallerID is a name and number.
type CallerID struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// Dialplan is a channel's dialplan location.
type Dialplan struct {
	Context string `json:"context"`
	Exten   string `json:"exten"`
}

// Bridge is ARI's bridge object.
type Bridge struct {
	ID         string   `json:"id"`
	Technology string   `json:"technology"`
	BridgeType string   `json:"bridge_type"`
	Class      string   `json:"bridge_class"`
	Name       string   `json:"name"`
	Channels   []string `json:"channels"`
}

// ErrFrameTooLarge: a frame or body over MaxFrame.
var ErrFrameTooLarge = errors.New("ari: message too large")

// Decode parses one event frame. It checks what the Follower relies on:
// a type, and ids of sane length; anything else is left to the Follower,
// which ignores what it does not know.
func Decode(frame []byte) (Event, error) {
	var ev Event
	if len(frame) > MaxFrame {
		return ev, ErrFrameTooLarge
	}
	if err := json.Unmarshal(frame, &ev); err != nil {
		return Event{}, fmt.Errorf("ari: event: %w", err)
	}
	if ev.Type == "" || len(ev.Type) > 64 {
		return Event{}, errors.New("ari: event without a type")
	}
	for _, c := range []*Channel{ev.Channel, ev.Peer, ev.Caller} {
		if c != nil && (len(c.ID) > maxID || len(c.Name) > maxID) {
			return Event{}, errors.New("ari: event: channel id or name too long")
		}
	}
	if b := ev.Bridge; b != nil && (len(b.ID) > maxID || len(b.Channels) > 4096) {
		return Event{}, errors.New("ari: event: bridge id too long or too many channels")
	}
	return ev, nil
}

// timeLayout is ARI's timestamp: "2026-12-07T06:28:23.125+0000".
const timeLayout = "2006-01-02T15:04:05.000-0700"

// Time returns the event's timestamp, or now when it has none or it does
// not parse.
func (e Event) Time(now time.Time) time.Time {
	if t, err := time.Parse(timeLayout, e.Timestamp); err == nil {
		return t.UTC()
	}
	return now
}
