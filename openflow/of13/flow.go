package of13

import (
	"slices"
	"strconv"
	"strings"
)

// Instructions is a flow's instruction set. OpenFlow executes instructions
// in a fixed order whatever order they are sent in (§5.9), so a struct with
// one slot per kind is canonical; the zero value drops the packet.
type Instructions struct {
	// Meter, if non-zero, applies the meter first.
	Meter uint32
	// Apply is the apply-actions list, executed in order.
	Apply []Action
	// HasApply distinguishes an empty apply-actions instruction from none;
	// switches report both, and a reconciler must not see them as different
	// flows. Builders leave it false and let Apply's length decide.
	HasApply bool
	// ClearActions clears the action set.
	ClearActions bool
	// Write is the write-actions list, merged into the action set.
	Write []Action
	// WriteMetadata writes Metadata under MetadataMask when the mask is non-zero.
	Metadata, MetadataMask uint64
	// Goto continues in table GotoTable when HasGoto is set.
	HasGoto   bool
	GotoTable uint8
}

// Equal reports whether two instruction sets do the same thing.
func (i Instructions) Equal(o Instructions) bool {
	return i.Meter == o.Meter && slices.Equal(i.Apply, o.Apply) &&
		i.ClearActions == o.ClearActions && slices.Equal(i.Write, o.Write) &&
		i.Metadata == o.Metadata && i.MetadataMask == o.MetadataMask &&
		i.HasGoto == o.HasGoto && (!i.HasGoto || i.GotoTable == o.GotoTable)
}

// Goto returns instructions that continue in table t.
func Goto(t uint8) Instructions { return Instructions{HasGoto: true, GotoTable: t} }

// ApplyActions returns instructions that apply as.
func ApplyActions(as ...Action) Instructions { return Instructions{Apply: as} }

// Flow flags (OFPFF_*).
const (
	FlagSendFlowRem  uint16 = 1 << 0
	FlagCheckOverlap uint16 = 1 << 1
	FlagResetCounts  uint16 = 1 << 2
	FlagNoPktCounts  uint16 = 1 << 3
	FlagNoBytCounts  uint16 = 1 << 4
)

// Flow is a flow entry: where it lives, what it matches and what it does.
// Its identity within a switch is (Table, Priority, Match), as in the
// OpenFlow spec; everything else is its content.
type Flow struct {
	Table       uint8
	Priority    uint16
	Match       Match
	Cookie      uint64
	IdleTimeout uint16
	HardTimeout uint16
	Flags       uint16
	Instr       Instructions
}

// FlowKey identifies a flow in a switch: two flows with the same key cannot
// coexist, the second replaces the first.
type FlowKey struct {
	Table    uint8
	Priority uint16
	match    string
}

// Key returns the flow's identity, usable as a map key.
func (f *Flow) Key() FlowKey {
	return FlowKey{Table: f.Table, Priority: f.Priority, match: matchKey(f.Match)}
}

// String renders the key for logs.
func (k FlowKey) String() string {
	return "table=" + strconv.Itoa(int(k.Table)) + ",priority=" + strconv.Itoa(int(k.Priority)) + "," + k.match
}

func matchKey(m Match) string {
	n := 0
	for _, f := range m {
		n += 3 + 2*f.Field.Size()
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range m {
		b.WriteByte(byte(f.Field))
		b.WriteByte(0)
		if f.Masked {
			b.WriteByte(1)
		}
		n := f.Field.Size()
		b.Write(f.Value[:n])
		if f.Masked {
			b.Write(f.Mask[:n])
		}
	}
	return b.String()
}

// Equal reports whether f and o are the same flow with the same content.
// Counters are not part of a Flow, so a flow read back from a switch
// compares equal to the one installed.
func (f *Flow) Equal(o *Flow) bool {
	return f.Table == o.Table && f.Priority == o.Priority && f.Cookie == o.Cookie &&
		f.IdleTimeout == o.IdleTimeout && f.HardTimeout == o.HardTimeout &&
		f.Match.Equal(o.Match) && f.Instr.Equal(o.Instr)
}

// FlowModCommand is OFPFC_*.
type FlowModCommand uint8

// Flow-mod commands.
const (
	FlowAdd          FlowModCommand = 0
	FlowModify       FlowModCommand = 1
	FlowModifyStrict FlowModCommand = 2
	FlowDelete       FlowModCommand = 3
	FlowDeleteStrict FlowModCommand = 4
)

var flowModCommandNames = [...]string{"add", "modify", "modify_strict", "delete", "delete_strict"}

// String implements fmt.Stringer.
func (c FlowModCommand) String() string {
	if int(c) < len(flowModCommandNames) {
		return flowModCommandNames[c]
	}
	return "command" + strconv.Itoa(int(c))
}

// TableAll addresses every table in a delete.
const TableAll uint8 = 0xff

// FlowMod is a flow-mod message.
type FlowMod struct {
	Command FlowModCommand
	Flow
	// CookieMask restricts modify and delete to flows whose cookie matches
	// Cookie under the mask.
	CookieMask uint64
	// OutPort and OutGroup restrict deletes; zero values mean "any".
	OutPort  uint32
	OutGroup uint32
}

// AddFlow returns a flow-mod that adds f.
func AddFlow(f Flow) FlowMod { return FlowMod{Command: FlowAdd, Flow: f} }

// DeleteStrict returns a flow-mod that deletes exactly the flow with f's key.
func DeleteStrict(f Flow) FlowMod {
	return FlowMod{Command: FlowDeleteStrict, Flow: Flow{Table: f.Table, Priority: f.Priority, Match: f.Match}}
}

// DeleteByCookie returns a flow-mod that deletes every flow, in every
// table, whose cookie equals cookie under mask.
func DeleteByCookie(cookie, mask uint64) FlowMod {
	return FlowMod{Command: FlowDelete, Flow: Flow{Table: TableAll, Cookie: cookie}, CookieMask: mask}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
