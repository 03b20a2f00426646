package stats

import (
	"context"

	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Session adapts a session-layer switch to Switch.
func Session(sw *controller.Switch) Switch { return session{sw} }

type session struct{ sw *controller.Switch }

func (s session) PortStats(ctx context.Context) ([]PortStats, error) {
	ps, err := s.sw.PortStats(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PortStats, len(ps))
	for i, p := range ps {
		out[i] = PortStats{Port: p.PortNo, RxPackets: p.RxPackets, TxPackets: p.TxPackets,
			RxBytes: p.RxBytes, TxBytes: p.TxBytes, RxDropped: p.RxDropped, TxDropped: p.TxDropped,
			RxErrors: p.RxErrors, TxErrors: p.TxErrors}
	}
	return out, nil
}

// PortDesc needs no request: the session keeps the ports current from the
// features handshake and every port-status message.
func (s session) PortDesc(context.Context) ([]PortDesc, error) {
	ports := s.sw.Ports()
	out := make([]PortDesc, len(ports))
	for i, p := range ports {
		out[i] = PortDesc{Port: p.No, State: p.State, CurrSpeed: p.CurrSpeed, MaxSpeed: p.MaxSpeed}
	}
	return out, nil
}

func (s session) FlowStats(ctx context.Context) ([]FlowStats, error) {
	fs, err := s.sw.FlowStats(ctx, of13.TableAll, 0, 0)
	if err != nil {
		return nil, err
	}
	out := make([]FlowStats, len(fs))
	for i, f := range fs {
		out[i] = FlowStats{TableID: f.Table, Cookie: f.Cookie, PacketCount: f.PacketCount, ByteCount: f.ByteCount}
	}
	return out, nil
}

func (s session) MeterStats(ctx context.Context) ([]MeterStats, error) {
	ms, err := s.sw.MeterStats(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MeterStats, len(ms))
	for i, m := range ms {
		out[i] = MeterStats{MeterID: m.ID, FlowCount: m.FlowCount, PacketInCount: m.PacketInCount, ByteInCount: m.ByteInCount}
		if len(m.Bands) > 0 {
			out[i].PacketBandCount, out[i].ByteBandCount = m.Bands[0].PacketCount, m.Bands[0].ByteCount
		}
	}
	return out, nil
}
