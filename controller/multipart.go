package controller

import (
	"context"
	"fmt"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// maxMultipartBytes bounds an aggregated multipart reply, so a switch
// cannot make the controller buffer without limit.
const maxMultipartBytes = 256 << 20

// multipart sends a multipart request and returns the concatenated bodies
// of all reply parts.
func (s *Switch) multipart(ctx context.Context, typ uint16, body []byte) ([]byte, error) {
	w := &waiter{want: wire.TypeMultipartReply, mpType: typ}
	err := s.request(ctx, w, func(b []byte, xid uint32) []byte {
		return wire.AppendMultipartRequest(b, xid, typ, body)
	})
	if err != nil {
		return nil, err
	}
	return w.body, nil
}

// addPart appends one reply part to its waiter; it reports whether the
// reply is complete. Called by the reader only.
func (s *Switch) addPart(xid uint32, r wire.MultipartReply) (bool, error) {
	w := s.track.waiterFor(xid, wire.TypeMultipartReply)
	if w == nil {
		return false, nil // a request given up on; ignore the rest
	}
	if r.Type != w.mpType {
		return true, fmt.Errorf("multipart reply type %d to a request of type %d", r.Type, w.mpType)
	}
	if len(w.body)+len(r.Body) > maxMultipartBytes {
		return true, fmt.Errorf("multipart reply over %d bytes", maxMultipartBytes)
	}
	w.body = append(w.body, r.Body...)
	return r.Flags&wire.MultipartReplyMore == 0, nil
}

func decodeReply[T any](s *Switch, what string, body []byte, err error, dec func([]byte) (T, error)) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	v, err := dec(body)
	if err != nil {
		return zero, fmt.Errorf("dp %016x: %s: %w", s.DPID(), what, err)
	}
	return v, nil
}

// FlowStats returns the flows in table (of13.TableAll for all) whose
// cookie equals cookie under cookieMask, decoded as installed so that they
// compare equal to the flows sent with of13.Flow.Equal.
func (s *Switch) FlowStats(ctx context.Context, table uint8, cookie, cookieMask uint64) ([]of13.FlowStats, error) {
	body, err := s.multipart(ctx, wire.MPFlow, wire.FlowStatsRequest(table, cookie, cookieMask, nil))
	return decodeReply(s, "flow stats", body, err, wire.DecodeFlowStats)
}

// Flows is FlowStats without the counters.
func (s *Switch) Flows(ctx context.Context, table uint8, cookie, cookieMask uint64) ([]of13.Flow, error) {
	fs, err := s.FlowStats(ctx, table, cookie, cookieMask)
	if err != nil {
		return nil, err
	}
	out := make([]of13.Flow, len(fs))
	for i := range fs {
		out[i] = fs[i].Flow
	}
	return out, nil
}

// DumpMeters returns every meter's configuration.
func (s *Switch) DumpMeters(ctx context.Context) ([]of13.Meter, error) {
	body, err := s.multipart(ctx, wire.MPMeterConfig, wire.IDRequest(of13.MeterAll))
	return decodeReply(s, "meter config", body, err, wire.DecodeMeterConfig)
}

// MeterStats returns every meter's counters.
func (s *Switch) MeterStats(ctx context.Context) ([]of13.MeterCounters, error) {
	body, err := s.multipart(ctx, wire.MPMeter, wire.IDRequest(of13.MeterAll))
	return decodeReply(s, "meter stats", body, err, wire.DecodeMeterStats)
}

// DumpGroups returns every group's description.
func (s *Switch) DumpGroups(ctx context.Context) ([]of13.Group, error) {
	body, err := s.multipart(ctx, wire.MPGroupDesc, nil)
	return decodeReply(s, "group desc", body, err, wire.DecodeGroupDesc)
}

// PortStats returns every port's counters.
func (s *Switch) PortStats(ctx context.Context) ([]of13.PortStats, error) {
	body, err := s.multipart(ctx, wire.MPPortStats, wire.IDRequest(of13.PortAny))
	return decodeReply(s, "port stats", body, err, wire.DecodePortStats)
}

// TableStats returns every table's counters.
func (s *Switch) TableStats(ctx context.Context) ([]of13.TableStats, error) {
	body, err := s.multipart(ctx, wire.MPTable, nil)
	return decodeReply(s, "table stats", body, err, wire.DecodeTableStats)
}

// Desc returns the switch's description.
func (s *Switch) Desc(ctx context.Context) (of13.Desc, error) {
	body, err := s.multipart(ctx, wire.MPDesc, nil)
	return decodeReply(s, "desc", body, err, wire.DecodeDesc)
}

// refreshPorts replaces the port table with a port-desc reply.
func (s *Switch) refreshPorts(ctx context.Context) error {
	body, err := s.multipart(ctx, wire.MPPortDesc, nil)
	ports, err := decodeReply(s, "port desc", body, err, wire.DecodePorts)
	if err != nil {
		return err
	}
	s.portsMu.Lock()
	s.ports = make(map[uint32]of13.Port, len(ports))
	for _, p := range ports {
		s.ports[p.No] = p
	}
	s.portsMu.Unlock()
	return nil
}
