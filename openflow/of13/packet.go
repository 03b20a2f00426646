package of13

// PacketInReason is why a packet was sent to the controller (OFPR_*).
type PacketInReason uint8

// Packet-in reasons.
const (
	PacketInNoMatch    PacketInReason = 0
	PacketInAction     PacketInReason = 1
	PacketInInvalidTTL PacketInReason = 2
)

// NoBuffer is the buffer id meaning the packet is not buffered on the
// switch and travels whole (OFP_NO_BUFFER).
const NoBuffer uint32 = 0xffffffff

// PacketIn is a packet sent to the controller.
type PacketIn struct {
	BufferID uint32
	TotalLen uint16
	Reason   PacketInReason
	Table    uint8
	Cookie   uint64
	// Match carries the pipeline fields, in_port among them.
	Match Match
	Data  []byte
}

// InPort returns the packet's ingress port from its match, 0 if absent.
func (p *PacketIn) InPort() uint32 {
	if f, ok := p.Match.Get(FieldInPort); ok {
		return uint32(f.Uint())
	}
	return 0
}

// PacketOut sends a packet out of the switch through Actions.
type PacketOut struct {
	// BufferID names a packet buffered on the switch; zero means
	// NoBuffer (the packet is in Data), as buffer 0 is never meant.
	BufferID uint32
	// InPort is the packet's ingress port for actions that need one;
	// zero means PortController.
	InPort  uint32
	Actions []Action
	Data    []byte
}
