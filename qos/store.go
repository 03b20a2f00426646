package qos

import (
	"errors"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// The contract between the planner and the runtime store that installs its
// plans (controller/dp/callstore). qos declares these types so that the
// adapters on both sides share them; it never calls them.

// Switches is the planner's view of the controller a per-call store
// plans with: where hosts are, and each datapath's voice placement. The
// store sends its plans through dp's group commit (controller/dp/callstore
// adds that side).
type Switches interface {
	Locator
	// Placement returns the voice table of a connected datapath.
	Placement(dpid uint64) (Placement, bool)
}

// Prober may be implemented by a Switches: Probe asks the network, without
// waiting, for the location of an address no switch has learned yet, so
// that a retry finds it.
type Prober interface {
	Probe(ip netip.Addr)
}

// Batch is one ordered change on one datapath: meter adds, flow-mods in
// order, meter deletes.
type Batch struct {
	MeterAdds    []of13.MeterMod
	Flows        []of13.FlowMod
	MeterDeletes []of13.MeterMod
}

// Observer receives a store's measurements; metrics implement it.
type Observer interface {
	InstallLatency(d time.Duration)
	Fallback(r Reason)
	Calls(active, mediaFlows int)
}

// ErrMeterTableFull is returned by a Switches implementation when the
// switch has no room for a meter; ErrTableFull when it has none for a flow.
var (
	ErrMeterTableFull = errors.New("meter table full")
	ErrTableFull      = errors.New("flow table full")
)

// IsCallMeter reports whether a meter id is in the per-call range.
func IsCallMeter(id uint32) bool { return id >= MeterIDBase && id < MeterIDBase+MeterIDCount }
