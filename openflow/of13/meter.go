package of13

// Meter flags (OFPMF_*).
const (
	MeterKbps  uint16 = 1 << 0
	MeterPktps uint16 = 1 << 1
	MeterBurst uint16 = 1 << 2
	MeterStats uint16 = 1 << 3
)

// MeterBandType is OFPMBT_*.
type MeterBandType uint16

// Meter band types.
const (
	BandDrop       MeterBandType = 1
	BandDSCPRemark MeterBandType = 2
)

// MeterBand is one band of a meter.
type MeterBand struct {
	Type      MeterBandType
	Rate      uint32
	BurstSize uint32
	// PrecLevel is the number of drop-precedence levels to add
	// (BandDSCPRemark only).
	PrecLevel uint8
}

// Meter is a meter entry.
type Meter struct {
	ID    uint32
	Flags uint16
	Bands []MeterBand
}

// Equal reports whether two meters are configured identically.
func (m *Meter) Equal(o *Meter) bool {
	if m.ID != o.ID || m.Flags != o.Flags || len(m.Bands) != len(o.Bands) {
		return false
	}
	for i := range m.Bands {
		if m.Bands[i] != o.Bands[i] {
			return false
		}
	}
	return true
}

// ModCommand is the command of a meter-mod or group-mod (OFPMC_* and
// OFPGC_* share values).
type ModCommand uint16

// Meter-mod and group-mod commands.
const (
	ModAdd    ModCommand = 0
	ModModify ModCommand = 1
	ModDelete ModCommand = 2
)

// MeterAll addresses every meter in a delete.
const MeterAll uint32 = 0xffffffff

// MeterMod is a meter-mod message.
type MeterMod struct {
	Command ModCommand
	Meter
}
