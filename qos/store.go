package qos

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// The contract between the planner and the runtime store that installs its
// plans (controller/dp/callstore). qos declares these types so that the
// adapters on both sides share them; it never calls them.

// Switches is what a per-call store needs from the controller.
type Switches interface {
	Locator
	// Placement returns the voice table of a connected datapath.
	Placement(dpid uint64) (Placement, bool)
	// Apply sends meter and flow mods to a datapath in order (meter adds,
	// flow mods, meter deletes) and returns once the switch has confirmed
	// them all with a barrier, or with the first error it reported.
	Apply(ctx context.Context, dpid uint64, b Batch) error
	// CallFlows lists the per-call flows (cookie category CookieCategory)
	// that a datapath holds.
	CallFlows(ctx context.Context, dpid uint64) ([]of13.Flow, error)
}

// Prober may be implemented by a Switches: Probe asks the network, without
// waiting, for the location of an address no switch has learned yet, so
// that a retry finds it.
type Prober interface {
	Probe(ip netip.Addr)
}

// Batch is one ordered change on one datapath.
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
