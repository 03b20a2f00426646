package ami

import "strings"

// Action is a request to the server. The client adds the ActionID.
type Action struct {
	Name   string
	Fields []Field
}

// NewAction builds an action from alternating key, value strings.
func NewAction(name string, kv ...string) Action {
	a := Action{Name: name}
	for i := 0; i+1 < len(kv); i += 2 {
		a.Fields = append(a.Fields, Field{Key: kv[i], Value: kv[i+1]})
	}
	return a
}

// Get returns the first value of key in the action's fields.
func (a Action) Get(key string) string {
	return Message{Fields: a.Fields}.Get(key)
}

// lineBreaks turns CR and LF inside keys and values into spaces: a value
// must never be able to inject another header or end the action early.
var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

func clean(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		return lineBreaks.Replace(s)
	}
	return s
}

// AppendWire appends the action in wire form with the given ActionID.
func (a Action) AppendWire(b []byte, actionID string) []byte {
	b = append(b, "Action: "...)
	b = append(b, clean(a.Name)...)
	b = append(b, "\r\n"...)
	if actionID != "" {
		b = append(b, "ActionID: "...)
		b = append(b, clean(actionID)...)
		b = append(b, "\r\n"...)
	}
	for _, f := range a.Fields {
		if keyEqual(f.Key, "ActionID") || keyEqual(f.Key, "Action") {
			continue
		}
		b = append(b, clean(f.Key)...)
		b = append(b, ": "...)
		b = append(b, clean(f.Value)...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// ActionFromMessage reads an action back from a parsed message (for the
// simulator and for replaying a client's sent stream).
func ActionFromMessage(m Message) Action {
	a := Action{Name: m.Get("Action")}
	for _, f := range m.Fields {
		if keyEqual(f.Key, "Action") {
			continue
		}
		a.Fields = append(a.Fields, f)
	}
	return a
}
