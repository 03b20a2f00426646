package oftable

import (
	"fmt"
	"slices"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// meterMax is OFPM_MAX, the highest meter id a flow meter may use.
const meterMax = 0xffff0000

// meter is an installed meter with the packets Trace counted through it.
type meter struct {
	of13.Meter
	packets uint64
}

// ApplyMeterMod applies a meter-mod. Adding an existing meter fails with
// OFPMMFC_METER_EXISTS and modifying a missing one with
// OFPMMFC_UNKNOWN_METER; deleting a meter also deletes the flows that use
// it (as Open vSwitch does) and deleting a missing meter is not an error.
func (t *Table) ApplyMeterMod(mm of13.MeterMod) error {
	if err := t.meterMod(&mm); err != nil {
		return fmt.Errorf("meter-mod %d meter %d: %w", mm.Command, mm.ID, err)
	}
	return nil
}

func (t *Table) meterMod(mm *of13.MeterMod) error {
	switch mm.Command {
	case of13.ModAdd, of13.ModModify:
		if err := checkMeter(&mm.Meter); err != nil {
			return err
		}
		_, exists := t.meters[mm.ID]
		if mm.Command == of13.ModAdd && exists {
			return ErrMeterExists.with("meter already exists")
		}
		if mm.Command == of13.ModModify && !exists {
			return ErrUnknownMeter.with("no such meter")
		}
		m := mm.Meter
		m.Bands = slices.Clone(m.Bands)
		t.meters[m.ID] = &meter{Meter: m}
		return nil
	case of13.ModDelete:
		for id := range t.meters {
			if mm.ID == of13.MeterAll || id == mm.ID {
				delete(t.meters, id)
				t.removeAll(func(e *entry) bool { return e.flow.Instr.Meter == id })
			}
		}
		return nil
	}
	return ErrBadMeterCommand.with(fmt.Sprintf("command %d", mm.Command))
}

func checkMeter(m *of13.Meter) error {
	if m.ID == 0 || m.ID > meterMax {
		return ErrInvalidMeter.with("meter id out of range")
	}
	if m.Flags&of13.MeterKbps != 0 && m.Flags&of13.MeterPktps != 0 {
		return ErrBadMeterFlags.with("both kbps and pktps")
	}
	for _, b := range m.Bands {
		if b.Type != of13.BandDrop && b.Type != of13.BandDSCPRemark {
			return ErrBadMeterBand.with(fmt.Sprintf("band type %d", b.Type))
		}
		if b.Rate == 0 {
			return ErrBadMeterRate.with("zero rate")
		}
	}
	return nil
}

// MeterPackets returns how many packets Inject sent through meter id.
func (t *Table) MeterPackets(id uint32) (uint64, bool) {
	m, ok := t.meters[id]
	if !ok {
		return 0, false
	}
	return m.packets, true
}
