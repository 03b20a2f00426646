package wire

import (
	"fmt"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

const (
	noBuffer = 0xffffffff
	portAny  = 0xffffffff
	groupAny = 0xffffffff
)

// AppendFlowMod appends a flow-mod. Zero OutPort and OutGroup mean "any".
func AppendFlowMod(b []byte, xid uint32, m *of13.FlowMod) []byte {
	start := len(b)
	b = appendHeader(b, TypeFlowMod, xid)
	b = be64(b, m.Cookie)
	b = be64(b, m.CookieMask)
	b = append(b, m.Table, byte(m.Command))
	b = be16(b, m.IdleTimeout)
	b = be16(b, m.HardTimeout)
	b = be16(b, m.Priority)
	b = be32(b, noBuffer)
	b = be32(b, orAny(m.OutPort, portAny))
	b = be32(b, orAny(m.OutGroup, groupAny))
	b = be16(b, m.Flags)
	b = append(b, 0, 0)
	b = AppendMatch(b, m.Match)
	b = AppendInstructions(b, &m.Instr)
	return finish(b, start)
}

func orAny(v, any uint32) uint32 {
	if v == 0 {
		return any
	}
	return v
}

// AppendMeterMod appends a meter-mod.
func AppendMeterMod(b []byte, xid uint32, m *of13.MeterMod) []byte {
	start := len(b)
	b = appendHeader(b, TypeMeterMod, xid)
	b = be16(b, uint16(m.Command))
	b = be16(b, m.Flags)
	b = be32(b, m.ID)
	for _, band := range m.Bands {
		b = be16(b, uint16(band.Type))
		b = be16(b, 16)
		b = be32(b, band.Rate)
		b = be32(b, band.BurstSize)
		b = append(b, band.PrecLevel, 0, 0, 0)
	}
	return finish(b, start)
}

// AppendGroupMod appends a group-mod.
func AppendGroupMod(b []byte, xid uint32, m *of13.GroupMod) []byte {
	start := len(b)
	b = appendHeader(b, TypeGroupMod, xid)
	b = be16(b, uint16(m.Command))
	b = append(b, byte(m.Type), 0)
	b = be32(b, m.ID)
	for i := range m.Buckets {
		bk := &m.Buckets[i]
		bs := len(b)
		b = append(b, 0, 0)
		b = be16(b, bk.Weight)
		b = be32(b, orAny(bk.WatchPort, portAny))
		b = be32(b, orAny(bk.WatchGroup, groupAny))
		b = zeros(b, 4)
		b = AppendActions(b, bk.Actions)
		l := len(b) - bs
		b[bs], b[bs+1] = byte(l>>8), byte(l)
	}
	return finish(b, start)
}

// AppendPacketOut appends a packet-out. A zero BufferID is sent as
// OFP_NO_BUFFER: buffer 0 is never what a controller means.
func AppendPacketOut(b []byte, xid uint32, m *of13.PacketOut) []byte {
	start := len(b)
	b = appendHeader(b, TypePacketOut, xid)
	buf := m.BufferID
	if buf == 0 {
		buf = noBuffer
	}
	b = be32(b, buf)
	b = be32(b, orAny(m.InPort, of13.PortController))
	al := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = AppendActions(b, m.Actions)
	l := len(b) - al - 8
	b[al], b[al+1] = byte(l>>8), byte(l)
	b = append(b, m.Data...)
	return finish(b, start)
}

// AppendMessage appends any of13.Message. It fails only for a type it does
// not know, before appending anything.
func AppendMessage(b []byte, xid uint32, m of13.Message) ([]byte, error) {
	switch m := m.(type) {
	case *of13.FlowMod:
		return AppendFlowMod(b, xid, m), nil
	case of13.FlowMod:
		return AppendFlowMod(b, xid, &m), nil
	case *of13.MeterMod:
		return AppendMeterMod(b, xid, m), nil
	case of13.MeterMod:
		return AppendMeterMod(b, xid, &m), nil
	case *of13.GroupMod:
		return AppendGroupMod(b, xid, m), nil
	case of13.GroupMod:
		return AppendGroupMod(b, xid, &m), nil
	case *of13.PacketOut:
		return AppendPacketOut(b, xid, m), nil
	case of13.PacketOut:
		return AppendPacketOut(b, xid, &m), nil
	case of13.BarrierRequest, *of13.BarrierRequest:
		return AppendSimple(b, TypeBarrierRequest, xid, nil), nil
	}
	return b, fmt.Errorf("cannot encode %T", m)
}

// AppendHello appends a hello advertising OpenFlow 1.3 only, with a
// version bitmap element (§7.5.1).
func AppendHello(b []byte, xid uint32) []byte {
	start := len(b)
	b = appendHeader(b, TypeHello, xid)
	b = append(b, 0, 1, 0, 8) // OFPHET_VERSIONBITMAP, length 8
	b = be32(b, 1<<Version)
	return finish(b, start)
}

// AppendError appends an error message.
func AppendError(b []byte, xid uint32, typ of13.ErrorType, code uint16, data []byte) []byte {
	start := len(b)
	b = appendHeader(b, TypeError, xid)
	b = be16(b, uint16(typ))
	b = be16(b, code)
	b = append(b, data...)
	return finish(b, start)
}

// AppendSetConfig appends a set-config with normal fragment handling and
// the given miss_send_len.
func AppendSetConfig(b []byte, xid uint32, missSendLen uint16) []byte {
	start := len(b)
	b = appendHeader(b, TypeSetConfig, xid)
	b = be16(b, 0)
	b = be16(b, missSendLen)
	return finish(b, start)
}

// Multipart types (OFPMP_*).
const (
	MPDesc        uint16 = 0
	MPFlow        uint16 = 1
	MPTable       uint16 = 3
	MPPortStats   uint16 = 4
	MPGroupDesc   uint16 = 7
	MPMeter       uint16 = 9
	MPMeterConfig uint16 = 10
	MPPortDesc    uint16 = 13
)

// MultipartReplyMore is OFPMPF_REPLY_MORE.
const MultipartReplyMore = 1

// AppendMultipartRequest appends a multipart request with body.
func AppendMultipartRequest(b []byte, xid uint32, typ uint16, body []byte) []byte {
	start := len(b)
	b = appendHeader(b, TypeMultipartRequest, xid)
	b = be16(b, typ)
	b = zeros(b, 6)
	b = append(b, body...)
	return finish(b, start)
}

// FlowStatsRequest is the body of an OFPMP_FLOW request.
func FlowStatsRequest(table uint8, cookie, cookieMask uint64, m of13.Match) []byte {
	b := []byte{table, 0, 0, 0}
	b = be32(b, portAny)
	b = be32(b, groupAny)
	b = zeros(b, 4)
	b = be64(b, cookie)
	b = be64(b, cookieMask)
	return AppendMatch(b, m)
}

// IDRequest is the body of the port-stats, meter and meter-config requests:
// a 32-bit id (or the "all" value) and padding.
func IDRequest(id uint32) []byte {
	return []byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id), 0, 0, 0, 0}
}
