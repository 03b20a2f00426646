package stats

import (
	"sort"
	"time"
)

type kind int

const (
	kindPort kind = iota
	kindFlow
	kindMeter
	numKinds
)

func (k kind) String() string {
	return [...]string{"port", "flow", "meter"}[k]
}

type health struct {
	polled bool // a poll of this kind has finished
	ok     bool // the last poll succeeded
	took   time.Duration
}

// entry is one switch's cached results. An entry is immutable once stored.
type entry struct {
	run        *run
	health     [numKinds]health
	ports      []PortStats
	descs      []PortDesc
	reasons    map[uint32]uint8
	tables     []tableTotals
	meters     []MeterStats // not call meters
	callMeters callMeterTotals
}

// callMeterTotals sums the per-call meters of one switch.
type callMeterTotals struct {
	meters                 int
	packetsIn, bytesIn     uint64
	packetsBand, bytesBand uint64
}

// splitMeters separates call meters, which it sums, from the others.
func splitMeters(ms []MeterStats, isCall func(uint32) bool) (others []MeterStats, calls callMeterTotals) {
	if isCall == nil {
		return ms, calls
	}
	add := func(sum *uint64, v uint64) {
		if v != Unsupported {
			*sum += v
		}
	}
	for _, m := range ms {
		if !isCall(m.MeterID) {
			others = append(others, m)
			continue
		}
		calls.meters++
		add(&calls.packetsIn, m.PacketInCount)
		add(&calls.bytesIn, m.ByteInCount)
		add(&calls.packetsBand, m.PacketBandCount)
		add(&calls.bytesBand, m.ByteBandCount)
	}
	return others, calls
}

type tableTotals struct {
	id             uint8
	flows          int
	packets, bytes uint64
}

// sumTables folds per-flow counters into per-table totals, ordered by table.
func sumTables(fs []FlowStats) []tableTotals {
	by := make(map[uint8]*tableTotals)
	for _, f := range fs {
		t := by[f.TableID]
		if t == nil {
			t = &tableTotals{id: f.TableID}
			by[f.TableID] = t
		}
		t.flows++
		if f.PacketCount != Unsupported {
			t.packets += f.PacketCount
		}
		if f.ByteCount != Unsupported {
			t.bytes += f.ByteCount
		}
	}
	out := make([]tableTotals, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
