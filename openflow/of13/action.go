package of13

// ActionType is an OpenFlow 1.3 action type (§7.2.5).
type ActionType uint16

// Action types voipsdn uses.
const (
	ActionOutput     ActionType = 0
	ActionCopyTTLOut ActionType = 11
	ActionCopyTTLIn  ActionType = 12
	ActionSetMPLSTTL ActionType = 15
	ActionDecMPLSTTL ActionType = 16
	ActionPushVLAN   ActionType = 17
	ActionPopVLAN    ActionType = 18
	ActionPushMPLS   ActionType = 19
	ActionPopMPLS    ActionType = 20
	ActionSetQueue   ActionType = 21
	ActionGroup      ActionType = 22
	ActionSetNwTTL   ActionType = 23
	ActionDecNwTTL   ActionType = 24
	ActionSetField   ActionType = 25
	ActionPushPBB    ActionType = 26
	ActionPopPBB     ActionType = 27
)

// Reserved port numbers (§7.2.1).
const (
	PortMax        uint32 = 0xffffff00
	PortInPort     uint32 = 0xfffffff8
	PortTable      uint32 = 0xfffffff9
	PortNormal     uint32 = 0xfffffffa
	PortFlood      uint32 = 0xfffffffb
	PortAll        uint32 = 0xfffffffc
	PortController uint32 = 0xfffffffd
	PortLocal      uint32 = 0xfffffffe
	PortAny        uint32 = 0xffffffff
)

// Reserved group numbers.
const (
	GroupAll uint32 = 0xfffffffc
	GroupAny uint32 = 0xffffffff
)

// ControllerMaxLen asks the switch to send the whole packet to the
// controller (OFPCML_NO_BUFFER).
const ControllerMaxLen uint16 = 0xffff

// Action is one OpenFlow action. Only the fields its Type uses are set, so
// actions compare with ==.
type Action struct {
	Type ActionType
	// Port and MaxLen are used by ActionOutput.
	Port   uint32
	MaxLen uint16
	// EtherType is used by the push actions and ActionPopMPLS.
	EtherType uint16
	// Arg is the group id (ActionGroup), queue id (ActionSetQueue) or TTL
	// (ActionSetNwTTL, ActionSetMPLSTTL).
	Arg uint32
	// Set is the field and value of ActionSetField.
	Set MatchField
}

// Output sends the packet to port.
func Output(port uint32) Action {
	a := Action{Type: ActionOutput, Port: port}
	if port == PortController {
		a.MaxLen = ControllerMaxLen
	}
	return a
}

// OutputController sends up to maxLen bytes of the packet to the controller.
func OutputController(maxLen uint16) Action {
	return Action{Type: ActionOutput, Port: PortController, MaxLen: maxLen}
}

// PushVLAN pushes an 802.1Q (0x8100) or 802.1ad (0x88a8) tag.
func PushVLAN(ethType uint16) Action { return Action{Type: ActionPushVLAN, EtherType: ethType} }

// PopVLAN pops the outermost VLAN tag.
func PopVLAN() Action { return Action{Type: ActionPopVLAN} }

// SetField rewrites a header field. Masked set-fields are not part of
// OpenFlow 1.3, so any mask is dropped.
func SetField(f MatchField) Action {
	f.Masked, f.Mask = false, [16]byte{}
	return Action{Type: ActionSetField, Set: f.canonical()}
}

// SetVlanVID sets the VID of the outermost tag.
func SetVlanVID(vid uint16) Action { return SetField(VlanVID(vid)) }

// SetDSCP sets the IP DSCP.
func SetDSCP(dscp uint8) Action { return SetField(IPDSCP(dscp)) }

// SetQueue selects the egress queue.
func SetQueue(q uint32) Action { return Action{Type: ActionSetQueue, Arg: q} }

// GroupAction sends the packet to a group.
func GroupAction(id uint32) Action { return Action{Type: ActionGroup, Arg: id} }

// DecNwTTL decrements the IP TTL or hop limit.
func DecNwTTL() Action { return Action{Type: ActionDecNwTTL} }
