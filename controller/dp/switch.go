package dp

import (
	"context"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Switch is what a DP needs from one OpenFlow session. The session layer's
// switch is adapted to it in session.go; tests use an in-memory switch.
type Switch interface {
	// ID is the datapath ID the switch reported in its features reply.
	ID() uint64
	// Send writes msgs in order without waiting for the switch.
	Send(ctx context.Context, msgs []of13.Message) error
	// Barrier returns once the switch has processed every earlier message,
	// or with the first error the switch reported for them.
	Barrier(ctx context.Context) error
	// SendWithBarrier writes msgs (there may be none) and a barrier
	// request behind them, and returns at once. done gets what Barrier
	// would have returned, on another goroutine, unless SendWithBarrier
	// fails; it must not block.
	SendWithBarrier(ctx context.Context, msgs []of13.Message, done func(error)) error
	// State reads the switch's flows, meters and groups.
	State(ctx context.Context) (State, error)
	// Close ends the session.
	Close() error
}

// State is the content of a switch's tables.
type State = controller.State
