package of13

import "strconv"

// Message is a controller-to-switch message that changes switch state or
// sends a packet: *FlowMod, *MeterMod, *GroupMod, *PacketOut and their
// values, or a BarrierRequest that orders them. The session layer encodes
// it; other packages only build it.
type Message interface {
	// Summary describes the message for logs and error reports, e.g.
	// "flow-mod add table=0,priority=100,...".
	Summary() string
}

// Summary implements Message.
func (m FlowMod) Summary() string {
	s := "flow-mod " + m.Command.String() + " " + m.Flow.String()
	if m.CookieMask != 0 {
		s += ",cookie_mask=0x" + strconv.FormatUint(m.CookieMask, 16)
	}
	return s
}

// Summary implements Message.
func (m MeterMod) Summary() string { return "meter-mod " + m.Command.String() + " " + m.Meter.String() }

// Summary implements Message.
func (m GroupMod) Summary() string { return "group-mod " + m.Command.String() + " " + m.Group.String() }

// Summary implements Message.
func (m PacketOut) Summary() string {
	s := "packet-out in_port=" + portString(m.InPort, 0) + ",actions="
	for i, a := range m.Actions {
		if i > 0 {
			s += ","
		}
		s += a.String()
	}
	return s + ",len=" + itoa(uint64(len(m.Data)))
}

// BarrierRequest, sent among other messages, makes the switch finish every
// message before it before it starts on any after it (OpenFlow 1.3 §6.2):
// the in-band separator between the phases of one change, whose reply
// nobody waits for. A barrier whose reply is awaited is the session's
// (SendWithBarrier).
type BarrierRequest struct{}

// Summary implements Message.
func (BarrierRequest) Summary() string { return "barrier request" }

// String implements fmt.Stringer.
func (c ModCommand) String() string {
	switch c {
	case ModAdd:
		return "add"
	case ModModify:
		return "modify"
	case ModDelete:
		return "delete"
	}
	return "command" + itoa(uint64(c))
}
