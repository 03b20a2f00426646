package dp

import (
	"context"
	"errors"
	"fmt"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// session adapts the session layer's switch to Switch. It is a comparable
// value: two sessions are equal when they wrap the same connection.
type session struct{ s *controller.Switch }

func (x session) ID() uint64 { return x.s.DPID() }

func (x session) Send(ctx context.Context, msgs []of13.Message) error {
	return x.s.Send(ctx, msgs...)
}

func (x session) Barrier(ctx context.Context) error { return x.s.Barrier(ctx) }

func (x session) SendWithBarrier(ctx context.Context, msgs []of13.Message, done func(error)) error {
	return x.s.SendWithBarrier(ctx, msgs, done)
}

func (x session) Close() error {
	x.s.Close()
	return nil
}

// State reads all flows, meters and groups. A switch that refuses the meter
// or group request (it has no meter or group table) is read as having none.
func (x session) State(ctx context.Context) (State, error) {
	var st State
	var err error
	if st.Flows, err = x.s.Flows(ctx, of13.TableAll, 0, 0); err != nil {
		return st, fmt.Errorf("flow stats: %w", err)
	}
	var ofe *controller.OFError
	if st.Meters, err = x.s.DumpMeters(ctx); err != nil && !errors.As(err, &ofe) {
		return st, fmt.Errorf("meter config: %w", err)
	}
	if st.Groups, err = x.s.DumpGroups(ctx); err != nil && !errors.As(err, &ofe) {
		return st, fmt.Errorf("group desc: %w", err)
	}
	return st, nil
}

// CookieFlows reads only the flows whose cookie matches (Manager.Reconcile).
func (x session) CookieFlows(ctx context.Context, cookie, mask uint64) ([]of13.Flow, error) {
	return x.s.Flows(ctx, of13.TableAll, cookie, mask)
}

// Ports returns the switch's live port table.
func (x session) Ports() []of13.Port { return x.s.Ports() }

// Desc asks the switch for its description.
func (x session) Desc(ctx context.Context) (of13.Desc, error) { return x.s.Desc(ctx) }

// FlowStats reads the flows whose cookie matches, with their counters
// (Manager.FlowStats).
func (x session) FlowStats(ctx context.Context, table uint8, cookie, mask uint64) ([]of13.FlowStats, error) {
	return x.s.FlowStats(ctx, table, cookie, mask)
}
