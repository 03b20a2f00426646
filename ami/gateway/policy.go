package gateway

import "strings"

// ReadOnlyActions are allowed to every user: they read state and change
// nothing on the PBX. Everything else (Originate, Redirect, Hangup,
// Command, Setvar, ...) needs the user's actions list.
var ReadOnlyActions = []string{
	"Ping", "Status", "CoreShowChannels", "CoreShowChannelMap", "CoreStatus", "CoreSettings",
	"Getvar", "ListCommands", "ShowDialPlan", "BridgeList", "BridgeInfo",
	"ExtensionState", "ExtensionStateList", "DeviceStateList", "PresenceStateList",
	"QueueStatus", "QueueSummary", "ParkedCalls", "ConfbridgeList", "ConfbridgeListRooms",
	"PJSIPShowEndpoints", "PJSIPShowEndpoint", "PJSIPShowContacts", "PJSIPShowAors",
	"PJSIPShowRegistrationsOutbound", "PJSIPShowRegistrationsInbound",
}

// sessionActions act on the session itself: the gateway answers them
// (Login, Challenge, Logoff, Events, Ping) or refuses them, because on the
// shared session they would change what every client gets.
var sessionActions = map[string]bool{
	"filter": true, "waitevent": true,
}

// policy is a user's resolved permissions.
type policy struct {
	user    *User
	servers map[string]bool
	actions map[string]bool
	read    map[string]bool // nil: every class
	events  map[string]bool // nil: every event
}

func newPolicy(u *User) *policy {
	p := &policy{user: u, servers: map[string]bool{}, actions: map[string]bool{}}
	for _, s := range u.Servers {
		p.servers[s] = true
	}
	for _, a := range ReadOnlyActions {
		p.actions[strings.ToLower(a)] = true
	}
	for _, a := range u.Actions {
		p.actions[strings.ToLower(a)] = true
	}
	if len(u.Read) > 0 {
		p.read = lowerSet(u.Read)
	}
	if len(u.Events) > 0 {
		p.events = lowerSet(u.Events)
	}
	return p
}

func lowerSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[strings.ToLower(strings.TrimSpace(x))] = true
	}
	return m
}

// allowAction says whether the user may send the named action.
func (p *policy) allowAction(name string) bool {
	n := strings.ToLower(name)
	return p.actions[n] && !sessionActions[n]
}

// allowEvent says whether an event with this name and Privilege header
// passes the user's filters and the session's mask (nil: on).
func (p *policy) allowEvent(name, privilege string, mask map[string]bool) bool {
	if p.events != nil && !p.events[strings.ToLower(name)] {
		return false
	}
	return classesMatch(privilege, p.read) && classesMatch(privilege, mask)
}

// classesMatch says whether a Privilege value ("call,all") has a class in
// want; nil want matches everything. An event without Privilege belongs
// to no class, so it passes only an unrestricted filter.
func classesMatch(privilege string, want map[string]bool) bool {
	if want == nil {
		return true
	}
	for c := range strings.SplitSeq(privilege, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c != "" && c != "all" && want[c] {
			return true
		}
	}
	return false
}

// eventMask turns an Events value ("on", "off", "call,reporting") into a
// mask: nil for on, an empty map for off.
func eventMask(v string) map[string]bool {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "", "on", "yes", "all":
		return nil
	case "off", "no":
		return map[string]bool{}
	}
	return lowerSet(strings.Split(v, ","))
}
