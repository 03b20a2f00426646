package qos

// Per-call meters take ids from their own range, above any id a Faucet
// `meters:` section is likely to use, so the two never collide. Open
// vSwitch's userspace datapath offers 262,144 meter ids.
const (
	MeterIDBase  uint32 = 0x10000
	MeterIDCount uint32 = 0x20000
)

// meterIDs allocates meter ids on one datapath. It is owned by the
// engine's goroutine.
type meterIDs struct {
	used map[uint32]bool
	next uint32
}

func newMeterIDs() *meterIDs { return &meterIDs{used: make(map[uint32]bool), next: MeterIDBase} }

// alloc returns a free id, or false when the range is exhausted.
func (m *meterIDs) alloc() (uint32, bool) {
	if len(m.used) >= int(MeterIDCount) {
		return 0, false
	}
	for m.used[m.next] {
		m.next = MeterIDBase + (m.next-MeterIDBase+1)%MeterIDCount
	}
	id := m.next
	m.used[id] = true
	m.next = MeterIDBase + (m.next-MeterIDBase+1)%MeterIDCount
	return id, true
}

// take marks an id found on the switch as in use.
func (m *meterIDs) take(id uint32) { m.used[id] = true }

func (m *meterIDs) free(id uint32) { delete(m.used, id) }

// isCallMeter reports whether an id is in the per-call range.
func isCallMeter(id uint32) bool { return id >= MeterIDBase && id < MeterIDBase+MeterIDCount }
