package dp

import (
	"sync/atomic"
	"time"
)

// Class is the kind of a packet-in, which decides its queue and its rate
// limit.
type Class int

// Packet-in classes.
const (
	// ClassLearn is a packet from an unknown or moved source.
	ClassLearn Class = iota
	// ClassControl is a control-plane packet: ARP, ND, LLDP.
	ClassControl
	// ClassIgnore is a packet the DP does not act on.
	ClassIgnore
	numClasses
)

var classNames = [...]string{"learn", "control", "ignore"}

// String implements fmt.Stringer.
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// ClassCounters counts the packet-ins of one class on one DP.
type ClassCounters struct {
	Received    uint64 // packet-ins of this class
	RateLimited uint64 // dropped by the class's token bucket
	QueueFull   uint64 // dropped because the class's queue was full
	Handled     uint64 // processed by the DP's goroutine
}

type classCounters struct {
	received, rateLimited, queueFull, handled atomic.Uint64
}

func (c *classCounters) snapshot() ClassCounters {
	return ClassCounters{
		Received: c.received.Load(), RateLimited: c.rateLimited.Load(),
		QueueFull: c.queueFull.Load(), Handled: c.handled.Load(),
	}
}

// Status is a snapshot of one DP, for metrics and diagnostics.
type Status struct {
	Name      string
	ID        uint64
	Connected bool
	// Flows is the number of flows the DP believes the switch holds.
	Flows int
	// Hosts is the number of hosts learned on the DP.
	Hosts int
	// PacketIns counts packet-ins by class (indexed by Class).
	PacketIns [numClasses]ClassCounters
	// ParseErrors counts packet-ins that could not be parsed.
	ParseErrors uint64
	// Syncs counts complete reconciliations with the switch; SyncErrors
	// the failed ones. LastSync is the duration of the last one.
	Syncs, SyncErrors uint64
	LastSync          time.Duration
	// FlowAdds and FlowDeletes count flow-mods sent.
	FlowAdds, FlowDeletes uint64
	// ConfigChanges counts configuration changes applied to the DP.
	ConfigChanges uint64
	// LearnFailures counts hosts the pipeline refused to learn.
	LearnFailures uint64
}

// counters are a DP's counters; they are written by its goroutine and by
// the session goroutine and read by Status.
type counters struct {
	class                 [numClasses]classCounters
	parseErrors           atomic.Uint64
	syncs, syncErrors     atomic.Uint64
	lastSync              atomic.Int64
	flowAdds, flowDeletes atomic.Uint64
	configChanges         atomic.Uint64
	learnFailures         atomic.Uint64
	connected             atomic.Bool
	flows                 atomic.Int64
}
