package arisim

import (
	"encoding/json"
	"strconv"
	"strings"
)

// pbx is the simulated Asterisk's state, built from the events played.
type pbx struct {
	order    []string                   // channel ids in creation order
	channels map[string]json.RawMessage // latest channel object
	names    map[string]string
	states   map[string]string
	bridges  map[string]*bridge
	bridgeQ  []string
	linked   map[string]string // Linkedid
	vars     map[string]map[string]string
	stasis   map[string]bool // channels between StasisStart and StasisEnd
}

type bridge struct {
	raw      map[string]json.RawMessage
	channels []string
}

func newPBX() *pbx {
	return &pbx{
		channels: map[string]json.RawMessage{}, names: map[string]string{}, states: map[string]string{},
		bridges: map[string]*bridge{}, linked: map[string]string{}, vars: map[string]map[string]string{},
		stasis: map[string]bool{},
	}
}

type simEvent struct {
	Type     string          `json:"type"`
	Channel  json.RawMessage `json:"channel"`
	Peer     json.RawMessage `json:"peer"`
	Caller   json.RawMessage `json:"caller"`
	Bridge   json.RawMessage `json:"bridge"`
	Variable string          `json:"variable"`
	Value    string          `json:"value"`
}

type chanHead struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
}

// apply updates the state with one event frame.
func (p *pbx) apply(frame []byte) {
	var ev simEvent
	if json.Unmarshal(frame, &ev) != nil {
		return
	}
	var ch chanHead
	for _, raw := range []json.RawMessage{ev.Caller, ev.Peer, ev.Channel} {
		if raw == nil || json.Unmarshal(raw, &ch) != nil || ch.ID == "" {
			continue
		}
		if _, ok := p.channels[ch.ID]; !ok && ev.Type != "ChannelDestroyed" {
			p.order = append(p.order, ch.ID)
			p.linked[ch.ID] = ch.ID
		}
		if ev.Type != "ChannelDestroyed" {
			p.channels[ch.ID], p.names[ch.ID], p.states[ch.ID] = raw, ch.Name, ch.State
		}
	}
	var b struct {
		ID       string   `json:"id"`
		Channels []string `json:"channels"`
	}
	if ev.Bridge != nil && json.Unmarshal(ev.Bridge, &b) == nil && b.ID != "" && ev.Type != "BridgeDestroyed" {
		br := p.bridges[b.ID]
		if br == nil {
			br = &bridge{}
			p.bridges[b.ID] = br
			p.bridgeQ = append(p.bridgeQ, b.ID)
		}
		_ = json.Unmarshal(ev.Bridge, &br.raw)
		br.channels = b.Channels
	}
	switch ev.Type {
	case "Dial":
		// A dialled channel takes its caller's Linkedid (Asterisk sets
		// it when the caller requests the channel).
		var peer, caller chanHead
		if json.Unmarshal(ev.Peer, &peer) == nil && json.Unmarshal(ev.Caller, &caller) == nil && caller.ID != "" {
			p.linked[peer.ID] = p.linked[caller.ID]
		}
	case "ChannelEnteredBridge":
		// Asterisk gives every channel of a bridge the oldest Linkedid.
		if br := p.bridges[b.ID]; br != nil {
			oldest := ""
			for _, id := range br.channels {
				if l := p.linked[id]; l != "" && (oldest == "" || older(l, oldest)) {
					oldest = l
				}
			}
			for _, id := range br.channels {
				if _, ok := p.channels[id]; ok {
					p.linked[id] = oldest
				}
			}
		}
	case "StasisStart":
		p.stasis[ch.ID] = true
	case "StasisEnd":
		delete(p.stasis, ch.ID)
	case "ChannelVarset":
		if ch.ID != "" {
			p.setVar(ch.ID, ev.Variable, ev.Value)
		}
	case "ChannelDestroyed":
		delete(p.channels, ch.ID)
		delete(p.vars, ch.ID)
		for i, id := range p.order {
			if id == ch.ID {
				p.order = append(p.order[:i:i], p.order[i+1:]...)
				break
			}
		}
	case "BridgeDestroyed":
		delete(p.bridges, b.ID)
		for i, id := range p.bridgeQ {
			if id == b.ID {
				p.bridgeQ = append(p.bridgeQ[:i:i], p.bridgeQ[i+1:]...)
				break
			}
		}
	}
}

func (p *pbx) setVar(id, name, value string) {
	if p.vars[id] == nil {
		p.vars[id] = map[string]string{}
	}
	p.vars[id][name] = value
}

// older compares two Uniqueids ("1796624903.0"): seconds, then sequence.
func older(a, b string) bool {
	as, aq, _ := strings.Cut(a, ".")
	bs, bq, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		return ai < bi
	}
	an, _ := strconv.Atoi(aq)
	bn, _ := strconv.Atoi(bq)
	return an < bn
}

// variable answers GET /ari/channels/{id}/variable: value, or an HTTP
// status and Asterisk's message.
func (p *pbx) variable(rec *Recording, id, name string) (string, int, string) {
	if _, ok := p.channels[id]; !ok {
		return "", 404, "Channel not found"
	}
	unicast := strings.HasPrefix(p.names[id], "UnicastRTP/")
	up := p.states[id] == "Up"
	switch {
	case name == "CHANNEL(linkedid)":
		return p.linked[id], 200, ""
	case name == "CHANNEL(audionativeformat)":
		return "(ulaw)", 200, ""
	case strings.HasPrefix(name, "CHANNEL(rtp,"):
		if unicast {
			return "", 500, "Unable to read provided function"
		}
		if !up {
			return "", 200, "" // no media negotiated yet
		}
	}
	if v, ok := p.vars[id][name]; ok {
		return v, 200, ""
	}
	if v, ok := rec.Vars[id][name]; ok {
		return v, 200, ""
	}
	if strings.HasPrefix(name, "CHANNEL(") {
		return "", 200, ""
	}
	return "", 404, "Provided variable was not found"
}
