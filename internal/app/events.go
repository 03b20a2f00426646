package app

import (
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp"
	"github.com/voipsdn/voipsdn/controller/metrics"
)

// dpEvents feeds the DP manager's events to Faucet's event counters.
type dpEvents struct {
	c  *metrics.Counters
	mu sync.RWMutex
	by map[uint64]*metrics.DPCounters
}

var _ dp.Events = (*dpEvents)(nil)

func newDPEvents(c *metrics.Counters) *dpEvents {
	return &dpEvents{c: c, by: map[uint64]*metrics.DPCounters{}}
}

func (e *dpEvents) dp(id uint64) *metrics.DPCounters {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.by[id]
}

func (e *dpEvents) DPAdded(id uint64, name string) {
	d := e.c.DP(id, name)
	e.mu.Lock()
	e.by[id] = d
	e.mu.Unlock()
}

func (e *dpEvents) DPRemoved(id uint64, name string) {
	e.mu.Lock()
	delete(e.by, id)
	e.mu.Unlock()
	e.c.RemoveDP(id, name)
}

func (e *dpEvents) PacketIn(id uint64, c dp.Class, dropped bool) {
	d := e.dp(id)
	if d == nil {
		return
	}
	d.PacketIns.Inc()
	d.VLANPacketIns.Inc() // the Faucet pipeline punts only after the vlan table
	if dropped {
		d.IgnoredPacketIns.Inc()
	}
}

func (e *dpEvents) PacketInDone(id uint64, t time.Duration) {
	if d := e.dp(id); d != nil {
		d.PacketInSecs.Observe(t.Seconds())
	}
}

func (e *dpEvents) FlowMods(id uint64, n int) {
	if d := e.dp(id); d != nil {
		d.FlowMsgsSent.Add(float64(n))
	}
}

func (e *dpEvents) Connected(id uint64) {
	if d := e.dp(id); d != nil {
		d.Connections.Inc()
	}
}

func (e *dpEvents) Disconnected(id uint64) {
	if d := e.dp(id); d != nil {
		d.Disconnections.Inc()
	}
}

func (e *dpEvents) Reconfigured(id uint64) {
	if d := e.dp(id); d != nil {
		d.ReloadWarm.Inc()
	}
}
