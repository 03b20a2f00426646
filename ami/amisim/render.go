package amisim

import (
	"strconv"
	"time"
)

// chanState is an Asterisk channel state: number and description.
type chanState int

const (
	stateDown    chanState = 0
	stateRing    chanState = 4
	stateRinging chanState = 5
	stateUp      chanState = 6
)

func (s chanState) desc() string {
	switch s {
	case stateDown:
		return "Down"
	case stateRing:
		return "Ring"
	case stateRinging:
		return "Ringing"
	case stateUp:
		return "Up"
	}
	return "Unknown"
}

// msg builds one wire message.
type msg struct{ b []byte }

func (m *msg) add(k, v string) *msg {
	m.b = append(m.b, k...)
	m.b = append(m.b, ": "...)
	m.b = append(m.b, v...)
	m.b = append(m.b, "\r\n"...)
	return m
}

func (m *msg) bytes() []byte { return append(m.b, "\r\n"...) }

// eventClass is the read class an event needs.
type eventClass string

const (
	classCall      eventClass = "call"
	classReporting eventClass = "reporting"
	classSystem    eventClass = "system"
	classSecurity  eventClass = "security"
)

// event starts an event with Privilege and, like timestampevents = yes,
// Timestamp.
func (s *Server) event(name string, class eventClass) *msg {
	m := &msg{b: make([]byte, 0, 768)}
	m.add("Event", name)
	m.add("Privilege", string(class)+",all")
	if !s.opt.NoTimestamps {
		m.add("Timestamp", timestamp(s.now()))
	}
	return m
}

func timestamp(t time.Time) string {
	us := t.UnixMicro()
	frac := strconv.FormatInt(us%1e6, 10)
	for len(frac) < 6 {
		frac = "0" + frac
	}
	return strconv.FormatInt(us/1e6, 10) + "." + frac
}

// chanFields appends the standard channel block with an optional prefix
// ("Dest" in Dial events).
func (m *msg) chanFields(prefix string, c *simChan) *msg {
	m.add(prefix+"Channel", c.name)
	m.add(prefix+"ChannelState", strconv.Itoa(int(c.state)))
	m.add(prefix+"ChannelStateDesc", c.state.desc())
	m.add(prefix+"CallerIDNum", c.cidNum)
	m.add(prefix+"CallerIDName", c.cidName)
	m.add(prefix+"ConnectedLineNum", c.connNum)
	m.add(prefix+"ConnectedLineName", c.connName)
	m.add(prefix+"Language", "en")
	m.add(prefix+"AccountCode", "")
	m.add(prefix+"Context", "default")
	m.add(prefix+"Exten", c.exten)
	m.add(prefix+"Priority", "1")
	m.add(prefix+"Uniqueid", c.uid)
	m.add(prefix+"Linkedid", c.linkedid)
	return m
}

// response starts a response with its ActionID.
func response(status, actionID string) *msg {
	m := &msg{b: make([]byte, 0, 256)}
	m.add("Response", status)
	if actionID != "" {
		m.add("ActionID", actionID)
	}
	return m
}
