package callstore

import "github.com/voipsdn/voipsdn/qos"

// meterIDs allocates meter ids on one datapath. It is owned by the
// engine's goroutine. A bitmap of the whole range (16 KiB per datapath)
// costs less than a map once a few thousand calls are up, and nothing
// per call.
type meterIDs struct {
	used []uint64 // bit i: qos.MeterIDBase+i is in use
	n    uint32   // ids in use
	next uint32
}

func newMeterIDs() *meterIDs {
	return &meterIDs{used: make([]uint64, qos.MeterIDCount/64), next: qos.MeterIDBase}
}

// alloc returns a free id, or false when the range is exhausted. Ids are
// handed out round-robin, so an id freed now is reused as late as possible.
func (m *meterIDs) alloc() (uint32, bool) {
	if m.n >= qos.MeterIDCount {
		return 0, false
	}
	for m.inUse(m.next) {
		m.next = m.after(m.next)
	}
	id := m.next
	m.take(id)
	m.next = m.after(id)
	return id, true
}

func (m *meterIDs) after(id uint32) uint32 {
	return qos.MeterIDBase + (id-qos.MeterIDBase+1)%qos.MeterIDCount
}

// inUse reports whether id is taken; ids outside the range never are.
func (m *meterIDs) inUse(id uint32) bool {
	if !qos.IsCallMeter(id) {
		return false
	}
	i := id - qos.MeterIDBase
	return m.used[i/64]&(1<<(i%64)) != 0
}

// take marks an id (allocated, or found on the switch) as in use; ids
// outside the range are not the engine's and are ignored.
func (m *meterIDs) take(id uint32) {
	if !qos.IsCallMeter(id) || m.inUse(id) {
		return
	}
	i := id - qos.MeterIDBase
	m.used[i/64] |= 1 << (i % 64)
	m.n++
}

// free releases an id; ids outside the range are ignored.
func (m *meterIDs) free(id uint32) {
	if !m.inUse(id) {
		return
	}
	i := id - qos.MeterIDBase
	m.used[i/64] &^= 1 << (i % 64)
	m.n--
}
