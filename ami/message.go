package ami

import (
	"strconv"
	"strings"
)

// Field is one "Key: Value" header line of a message.
type Field struct {
	Key   string
	Value string
}

// Message is one AMI message: an event, a response, or the greeting.
// Fields keep the order they had on the wire and duplicates are kept
// (Output, ChanVariable and Variable repeat).
type Message struct {
	Fields []Field
}

// Kind says what a message is.
type Kind int

// Message kinds.
const (
	KindUnknown Kind = iota
	KindGreeting
	KindEvent
	KindResponse
	KindAction
)

func (k Kind) String() string {
	switch k {
	case KindGreeting:
		return "greeting"
	case KindEvent:
		return "event"
	case KindResponse:
		return "response"
	case KindAction:
		return "action"
	}
	return "unknown"
}

// greetingPrefix starts the first line an Asterisk server sends.
const greetingPrefix = "Asterisk Call Manager/"

// Kind classifies the message. An event that carries a Response field
// (OriginateResponse does) is still an event: Event wins.
func (m Message) Kind() Kind {
	if len(m.Fields) == 0 {
		return KindUnknown
	}
	if m.Fields[0].Key == "" {
		return KindGreeting
	}
	switch {
	case m.Has("Event"):
		return KindEvent
	case m.Has("Response"):
		return KindResponse
	case m.Has("Action"):
		return KindAction
	}
	return KindUnknown
}

// Greeting returns the greeting line, or "" if m is not a greeting.
func (m Message) Greeting() string {
	if m.Kind() != KindGreeting {
		return ""
	}
	return m.Fields[0].Value
}

// keyEqual compares AMI keys: ASCII case-insensitive, exact match first
// because servers always use one spelling.
func keyEqual(a, b string) bool {
	return len(a) == len(b) && (a == b || strings.EqualFold(a, b))
}

// Get returns the value of the first field named key (case-insensitive),
// or "".
func (m Message) Get(key string) string {
	for i := range m.Fields {
		if keyEqual(m.Fields[i].Key, key) {
			return m.Fields[i].Value
		}
	}
	return ""
}

// Lookup is Get that also says whether the field exists.
func (m Message) Lookup(key string) (string, bool) {
	for i := range m.Fields {
		if keyEqual(m.Fields[i].Key, key) {
			return m.Fields[i].Value, true
		}
	}
	return "", false
}

// Has reports whether a field named key exists.
func (m Message) Has(key string) bool {
	_, ok := m.Lookup(key)
	return ok
}

// Values returns every value of the fields named key, in order.
func (m Message) Values(key string) []string {
	var out []string
	for i := range m.Fields {
		if keyEqual(m.Fields[i].Key, key) {
			out = append(out, m.Fields[i].Value)
		}
	}
	return out
}

// Event returns the event name, "" for non-events.
func (m Message) Event() string { return m.Get("Event") }

// ActionID returns the ActionID field.
func (m Message) ActionID() string { return m.Get("ActionID") }

// Int returns the field parsed as a decimal integer and whether it parsed.
func (m Message) Int(key string) (int, bool) {
	v, ok := m.Lookup(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

// String renders the message in wire form (CRLF lines, blank-line end).
// Fields named Secret or Key are redacted so a message can be logged.
func (m Message) String() string {
	var b strings.Builder
	for _, f := range m.Fields {
		if f.Key == "" {
			b.WriteString(f.Value)
			b.WriteString("\r\n")
			continue
		}
		v := f.Value
		if keyEqual(f.Key, "Secret") || keyEqual(f.Key, "Key") {
			v = redacted
		}
		b.WriteString(f.Key)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}
