package dp

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// ApplyOwner makes flows the complete set of flows of owner on DP dpid and
// sends the difference through the DP's send path, confirmed by a barrier.
// The flows are kept and replayed whenever the switch reconnects; an empty
// flows removes the owner. Owners live in their own namespace, apart from
// the pipeline's. Flows should carry their own cookie (not the DP's), so
// that flows a restarted controller finds but no owner claims again are
// left alone rather than deleted.
//
// If the switch is not connected the flows are recorded and nil returned.
func (m *Manager) ApplyOwner(ctx context.Context, dpid uint64, owner string, flows []of13.Flow) error {
	r := m.runner(dpid)
	if r == nil {
		return fmt.Errorf("dp %#x: %w", dpid, ErrUnknownDP)
	}
	flows = append([]of13.Flow(nil), flows...)
	return r.do(ctx, func(ctx context.Context) error {
		if len(flows) == 0 {
			delete(r.st.extra, owner)
		} else {
			r.st.extra[owner] = flows
		}
		if r.st.sw == nil {
			return nil
		}
		var b batch
		r.setOwner(&b, extraPrefix+owner, flows)
		return r.send(ctx, &b)
	})
}

// Apply sends msgs (flow-, meter- and group-mods) to DP dpid in order,
// through the DP's group commit (Commit), and waits for the switch to
// confirm them with a barrier. The messages are not recorded: the caller
// owns what they install and must use a cookie other than the DP's. Only
// the caller waits: the DP's goroutine sends and moves on.
func (m *Manager) Apply(ctx context.Context, dpid uint64, msgs []of13.Message) error {
	done := make(chan error, 1)
	m.Commit(dpid, Change{Flows: msgs}, func(err error) { done <- err })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flows reads from DP dpid's switch the flows whose cookie equals cookie
// under mask.
func (m *Manager) Flows(ctx context.Context, dpid uint64, cookie, mask uint64) ([]of13.Flow, error) {
	r := m.runner(dpid)
	if r == nil {
		return nil, fmt.Errorf("dp %#x: %w", dpid, ErrUnknownDP)
	}
	var sw Switch
	if err := r.do(ctx, func(context.Context) error { sw = r.st.sw; return nil }); err != nil {
		return nil, err
	}
	if sw == nil {
		return nil, fmt.Errorf("dp %#x: %w", dpid, ErrNotConnected)
	}
	// Read outside the DP's goroutine: a long read must not delay it.
	st, err := sw.State(ctx)
	if err != nil {
		return nil, fmt.Errorf("dp %#x: %w", dpid, err)
	}
	var out []of13.Flow
	for _, f := range st.Flows {
		if f.Cookie&mask == cookie&mask {
			out = append(out, f)
		}
	}
	return out, nil
}

// Program returns the program DP dpid is running and whether its switch is
// connected and in sync. Both are read from what the DP's goroutine
// publishes (view.go), without waiting for it, so a planner may ask per
// call. The program is shared and must not be modified.
func (m *Manager) Program(_ context.Context, dpid uint64) (*pipeline.Program, bool, error) {
	r := m.runner(dpid)
	if r == nil {
		return nil, false, fmt.Errorf("dp %#x: %w", dpid, ErrUnknownDP)
	}
	return r.views.prog.Load(), r.views.sw.Load() != nil, nil
}

// LocateMAC reports where a MAC address was learned.
func (m *Manager) LocateMAC(mac net.HardwareAddr) (Location, bool) { return m.hosts.locateMAC(mac) }

// LocateIP reports where the host with an IP address was learned; the
// address is learned from the ARP, IPv4 and IPv6 packet-ins of a known MAC.
func (m *Manager) LocateIP(ip netip.Addr) (Location, bool) { return m.hosts.locateIP(ip) }

// Locate accepts a MAC or an IP address in text form.
func (m *Manager) Locate(addr string) (Location, bool) {
	if mac, err := net.ParseMAC(addr); err == nil {
		return m.LocateMAC(mac)
	}
	if ip, err := netip.ParseAddr(addr); err == nil {
		return m.LocateIP(ip)
	}
	return Location{}, false
}

// FlowStats reads from DP dpid's switch, with their counters, the flows
// whose cookie equals cookie under mask (a test call's per-call flows).
func (m *Manager) FlowStats(ctx context.Context, dpid uint64, cookie, mask uint64) ([]of13.FlowStats, error) {
	r := m.runner(dpid)
	if r == nil {
		return nil, fmt.Errorf("dp %#x: %w", dpid, ErrUnknownDP)
	}
	var sw Switch
	if err := r.do(ctx, func(context.Context) error { sw = r.st.sw; return nil }); err != nil {
		return nil, err
	}
	if sw == nil {
		return nil, fmt.Errorf("dp %#x: %w", dpid, ErrNotConnected)
	}
	fs, ok := sw.(interface {
		FlowStats(ctx context.Context, table uint8, cookie, mask uint64) ([]of13.FlowStats, error)
	})
	if !ok {
		return nil, fmt.Errorf("dp %#x: the switch session cannot read flow counters", dpid)
	}
	st, err := fs.FlowStats(ctx, of13.TableAll, cookie, mask)
	if err != nil {
		return nil, fmt.Errorf("dp %#x: %w", dpid, err)
	}
	return st, nil
}
