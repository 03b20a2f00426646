package of13

// FlowStats is a flow as a switch reports it in a flow-stats reply: the
// flow as installed plus its counters.
type FlowStats struct {
	Flow
	DurationSec  uint32
	DurationNsec uint32
	PacketCount  uint64
	ByteCount    uint64
}

// FlowRemovedReason is why a flow was removed (OFPRR_*).
type FlowRemovedReason uint8

// Flow-removed reasons.
const (
	RemovedIdleTimeout FlowRemovedReason = 0
	RemovedHardTimeout FlowRemovedReason = 1
	RemovedDelete      FlowRemovedReason = 2
	RemovedGroupDelete FlowRemovedReason = 3
	RemovedMeterDelete FlowRemovedReason = 4
)

// FlowRemoved is a flow-removed message. Flow carries table, priority,
// match, cookie and timeouts; the switch does not report instructions.
type FlowRemoved struct {
	Flow
	Reason       FlowRemovedReason
	DurationSec  uint32
	DurationNsec uint32
	PacketCount  uint64
	ByteCount    uint64
}

// PortStats are one port's counters (ofp_port_stats).
type PortStats struct {
	PortNo                    uint32
	RxPackets, TxPackets      uint64
	RxBytes, TxBytes          uint64
	RxDropped, TxDropped      uint64
	RxErrors, TxErrors        uint64
	RxFrameErr, RxOverErr     uint64
	RxCRCErr, Collisions      uint64
	DurationSec, DurationNsec uint32
}

// MeterBandStats are one band's counters.
type MeterBandStats struct {
	PacketCount, ByteCount uint64
}

// MeterCounters are one meter's counters (ofp_meter_stats); the name
// MeterStats is taken by the OFPMF_STATS flag.
type MeterCounters struct {
	ID            uint32
	FlowCount     uint32
	PacketInCount uint64
	ByteInCount   uint64
	DurationSec   uint32
	DurationNsec  uint32
	Bands         []MeterBandStats
}

// TableStats are one table's counters (ofp_table_stats).
type TableStats struct {
	Table        uint8
	ActiveCount  uint32
	LookupCount  uint64
	MatchedCount uint64
}

// Desc is a switch's description (ofp_desc).
type Desc struct {
	Manufacturer, Hardware, Software, SerialNum, DPDesc string
}

// Features is a switch's features reply.
type Features struct {
	DatapathID   uint64
	NumBuffers   uint32
	NumTables    uint8
	AuxiliaryID  uint8
	Capabilities uint32
}
