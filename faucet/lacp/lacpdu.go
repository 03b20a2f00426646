package lacp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Slow-protocols framing (IEEE 802.3 Annex 57A) and the LACPDU layout
// (IEEE 802.1AX-2008 §5.4.2). Every LACPDU is 110 bytes after the
// Ethernet header: subtype, version, then fixed-position TLVs.
const (
	EthTypeSlow   = 0x8809
	SubtypeLACP   = 1
	versionLACP   = 1
	ethHeaderLen  = 14
	pduLen        = 110
	FrameLen      = ethHeaderLen + pduLen // 124, Faucet's LACP_SIZE
	tlvActor      = 1
	tlvPartner    = 2
	tlvCollector  = 3
	tlvTerminator = 0
	infoLen       = 20 // actor and partner information TLVs
	collectorLen  = 16
	offActor      = 2
	offPartner    = offActor + infoLen
	offCollector  = offPartner + infoLen
	offTerminator = offCollector + collectorLen
)

// SlowProtocolsMAC is the destination of every LACPDU.
var SlowProtocolsMAC = net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02}

// State is the actor or partner state octet.
type State uint8

// State bits, least significant first.
const (
	StateActivity    State = 1 << iota // active LACP (else passive)
	StateTimeout                       // short timeout: the peer sends every second
	StateAggregation                   // the link may be aggregated
	StateSync                          // in sync: attached to the right aggregator
	StateCollecting
	StateDistributing
	StateDefaulted // using default partner information
	StateExpired
)

var stateNames = [...]string{"activity", "timeout", "aggregation", "sync", "collecting", "distributing", "defaulted", "expired"}

func (s State) String() string {
	var parts []string
	for i, n := range stateNames {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Info is one side's information: who it is (system), which aggregation
// key and port, and its state.
type Info struct {
	SystemPriority uint16
	System         [6]byte
	Key            uint16
	PortPriority   uint16
	Port           uint16
	State          State
}

// SystemMAC returns the system ID as a MAC address.
func (i Info) SystemMAC() net.HardwareAddr { return net.HardwareAddr(i.System[:]) }

func (i Info) String() string {
	return fmt.Sprintf("system %d/%s key %d port %d/%d state %s",
		i.SystemPriority, i.SystemMAC(), i.Key, i.PortPriority, i.Port, i.State)
}

// PDU is a decoded LACPDU.
type PDU struct {
	// Version is the LACP version the sender speaks; Build writes 1.
	Version           uint8
	Actor, Partner    Info
	CollectorMaxDelay uint16
}

// Errors Parse returns (wrapped with detail).
var (
	ErrShort    = errors.New("lacp: frame too short")
	ErrNotLACP  = errors.New("lacp: not an LACPDU")
	ErrBadTLV   = errors.New("lacp: malformed TLV")
	ErrVersion0 = errors.New("lacp: version 0")
)

// Parse decodes an untagged Ethernet frame carrying an LACPDU. It checks
// the destination, ethertype, subtype, version and the type and length of
// the actor, partner and collector TLVs, which sit at fixed offsets in
// every version; what follows them (the terminator, or a later version's
// extra TLVs) is not read, so a frame cut after the collector TLV parses.
func Parse(frame []byte) (PDU, error) {
	if len(frame) < ethHeaderLen+2 {
		return PDU{}, fmt.Errorf("%w: %d bytes", ErrShort, len(frame))
	}
	if string(frame[:6]) != string(SlowProtocolsMAC) {
		return PDU{}, fmt.Errorf("%w: destination %s", ErrNotLACP, net.HardwareAddr(frame[:6]))
	}
	if et := binary.BigEndian.Uint16(frame[12:]); et != EthTypeSlow {
		return PDU{}, fmt.Errorf("%w: ethertype %#04x", ErrNotLACP, et)
	}
	b := frame[ethHeaderLen:]
	if b[0] != SubtypeLACP {
		return PDU{}, fmt.Errorf("%w: slow protocol subtype %d", ErrNotLACP, b[0])
	}
	p := PDU{Version: b[1]}
	if p.Version == 0 {
		return PDU{}, ErrVersion0
	}
	if len(b) < offTerminator {
		return PDU{}, fmt.Errorf("%w: %d bytes of LACPDU, want at least %d", ErrShort, len(b), offTerminator)
	}
	var err error
	if p.Actor, err = parseInfo(b[offActor:], tlvActor); err != nil {
		return PDU{}, err
	}
	if p.Partner, err = parseInfo(b[offPartner:], tlvPartner); err != nil {
		return PDU{}, err
	}
	c := b[offCollector:]
	if c[0] != tlvCollector || c[1] != collectorLen {
		return PDU{}, fmt.Errorf("%w: collector TLV type %d length %d", ErrBadTLV, c[0], c[1])
	}
	p.CollectorMaxDelay = binary.BigEndian.Uint16(c[2:])
	return p, nil
}

func parseInfo(b []byte, typ uint8) (Info, error) {
	if b[0] != typ || b[1] != infoLen {
		return Info{}, fmt.Errorf("%w: want type %d length %d, got type %d length %d", ErrBadTLV, typ, infoLen, b[0], b[1])
	}
	i := Info{
		SystemPriority: binary.BigEndian.Uint16(b[2:]),
		Key:            binary.BigEndian.Uint16(b[10:]),
		PortPriority:   binary.BigEndian.Uint16(b[12:]),
		Port:           binary.BigEndian.Uint16(b[14:]),
		State:          State(b[16]),
	}
	copy(i.System[:], b[4:10])
	return i, nil
}

// Frame returns the LACPDU as a complete untagged Ethernet frame from src
// to the slow-protocols address, version 1, FrameLen bytes long. Reserved
// fields are zero.
func (p *PDU) Frame(src net.HardwareAddr) []byte {
	f := make([]byte, FrameLen)
	copy(f, SlowProtocolsMAC)
	copy(f[6:12], src)
	binary.BigEndian.PutUint16(f[12:], EthTypeSlow)
	b := f[ethHeaderLen:]
	b[0], b[1] = SubtypeLACP, versionLACP
	putInfo(b[offActor:], tlvActor, p.Actor)
	putInfo(b[offPartner:], tlvPartner, p.Partner)
	c := b[offCollector:]
	c[0], c[1] = tlvCollector, collectorLen
	binary.BigEndian.PutUint16(c[2:], p.CollectorMaxDelay)
	b[offTerminator], b[offTerminator+1] = tlvTerminator, 0
	return f
}

func putInfo(b []byte, typ uint8, i Info) {
	b[0], b[1] = typ, infoLen
	binary.BigEndian.PutUint16(b[2:], i.SystemPriority)
	copy(b[4:10], i.System[:])
	binary.BigEndian.PutUint16(b[10:], i.Key)
	binary.BigEndian.PutUint16(b[12:], i.PortPriority)
	binary.BigEndian.PutUint16(b[14:], i.Port)
	b[16] = uint8(i.State)
}
