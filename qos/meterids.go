package qos

// Per-call meters take ids from their own range, above any id a Faucet
// `meters:` section is likely to use, so the two never collide. Open
// vSwitch's userspace datapath offers 262,144 meter ids.
const (
	MeterIDBase  uint32 = 0x10000
	MeterIDCount uint32 = 0x20000
)

// meterIDs allocates meter ids on one datapath. It is owned by the
// engine's goroutine. A bitmap of the whole range (16 KiB per datapath)
// costs less than a map once a few thousand calls are up, and nothing
// per call.
type meterIDs struct {
	used []uint64 // bit i: MeterIDBase+i is in use
	n    uint32   // ids in use
	next uint32
}

func newMeterIDs() *meterIDs {
	return &meterIDs{used: make([]uint64, MeterIDCount/64), next: MeterIDBase}
}

// alloc returns a free id, or false when the range is exhausted. Ids are
// handed out round-robin, so an id freed now is reused as late as possible.
func (m *meterIDs) alloc() (uint32, bool) {
	if m.n >= MeterIDCount {
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

func (m *meterIDs) after(id uint32) uint32 { return MeterIDBase + (id-MeterIDBase+1)%MeterIDCount }

// inUse reports whether id is taken; ids outside the range never are.
func (m *meterIDs) inUse(id uint32) bool {
	if !isCallMeter(id) {
		return false
	}
	i := id - MeterIDBase
	return m.used[i/64]&(1<<(i%64)) != 0
}

// take marks an id (allocated, or found on the switch) as in use; ids
// outside the range are not the engine's and are ignored.
func (m *meterIDs) take(id uint32) {
	if !isCallMeter(id) || m.inUse(id) {
		return
	}
	i := id - MeterIDBase
	m.used[i/64] |= 1 << (i % 64)
	m.n++
}

// free releases an id; ids outside the range are ignored.
func (m *meterIDs) free(id uint32) {
	if !m.inUse(id) {
		return
	}
	i := id - MeterIDBase
	m.used[i/64] &^= 1 << (i % 64)
	m.n--
}

// isCallMeter reports whether an id is in the per-call range.
func isCallMeter(id uint32) bool { return id >= MeterIDBase && id < MeterIDBase+MeterIDCount }
