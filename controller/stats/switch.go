package stats

import "context"

// Switch is what the poller needs from one OpenFlow session: the four
// multipart requests it sends. Each call must be safe to cancel through ctx.
// The session layer's switch is adapted to it by the runtime.
type Switch interface {
	PortStats(ctx context.Context) ([]PortStats, error)   // OFPMP_PORT_STATS, all ports
	PortDesc(ctx context.Context) ([]PortDesc, error)     // OFPMP_PORT_DESC
	FlowStats(ctx context.Context) ([]FlowStats, error)   // OFPMP_FLOW, all tables
	MeterStats(ctx context.Context) ([]MeterStats, error) // OFPMP_METER, all meters
}

// Unsupported is the value a switch reports for a counter it does not keep
// (OpenFlow 1.3 §7.3.5); such counters are not exported, as in Gauge.
const Unsupported = ^uint64(0)

// PortStats is one port's counters.
type PortStats struct {
	Port                 uint32
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxDropped, TxDropped uint64
	RxErrors, TxErrors   uint64
}

// PortDesc is one port's description.
type PortDesc struct {
	Port      uint32
	State     uint32 // OFPPS_* bits
	CurrSpeed uint32 // kbps
	MaxSpeed  uint32 // kbps
}

// FlowStats is one flow's counters; only per-table totals are exported.
type FlowStats struct {
	TableID     uint8
	Cookie      uint64
	PacketCount uint64
	ByteCount   uint64
}

// MeterStats is one meter's counters; band counters are the first band's,
// as Gauge exports them.
type MeterStats struct {
	MeterID         uint32
	FlowCount       uint32
	PacketInCount   uint64
	ByteInCount     uint64
	PacketBandCount uint64
	ByteBandCount   uint64
}
