package voice

import (
	"context"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/controller/dp/callstore"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// Flows is what the service asks of the owner of the per-call flows: the
// merged call stream in (MediaKnown, LegEnded, CallEnded), the switch's
// side in (Sweep, Kick, Located, FlowRemoved), the policy
// (SetPolicy), and Run, which owns its goroutines. *callstore.Store is
// one; being a dp.Store too, dp hands it each switch's per-call flows at
// connect.
//
// The enqueueing methods return an error only when ctx ended; the service
// calls them in the order it decided things, and the implementation acts
// in that order.
type Flows interface {
	Run(ctx context.Context)
	SetPolicy(ctx context.Context, q *config.QoS) error
	MediaKnown(ctx context.Context, leg qos.Leg, known time.Time) error
	LegEnded(ctx context.Context, server, callID, legID string) error
	CallEnded(ctx context.Context, server, callID string) error
	// Sweep deletes the per-call flows on dpid whose cookie live does
	// not report; live is called from the implementation's goroutine.
	Sweep(ctx context.Context, dpid uint64, live func(cookie uint64) bool) error
	Kick(ctx context.Context) error
	Located(ip netip.Addr)
	FlowRemoved(ctx context.Context, dpid uint64, fr *of13.FlowRemoved) error
}

var _ Flows = (*callstore.Store)(nil)
