package wire

import (
	"bytes"
	"errors"
	"fmt"
	"net"

	"github.com/netrack/openflow/ofp"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Hello is a decoded hello message.
type Hello struct {
	// Bitmap is the version bitmap's first word; HasBitmap tells whether
	// the peer sent one. Versions above 31 are not defined.
	Bitmap    uint32
	HasBitmap bool
}

// DecodeHello decodes a hello body. netrack's HelloElems.ReadFrom has a
// value receiver, so the elements it decodes are appended to a copy and
// lost; this decoder reads the version bitmap itself (§7.5.1).
func DecodeHello(body []byte) (Hello, error) {
	var h Hello
	c := cursor{b: body}
	for c.left() >= 4 {
		typ, l := c.u16(), int(c.u16())
		if l < 4 {
			return h, fmt.Errorf("hello element type %d: length %d", typ, l)
		}
		el := c.sub(l - 4)
		c.skip(min((8-l%8)%8, c.left())) // the last element's padding may be absent
		if c.err != nil {
			return h, fmt.Errorf("hello element type %d: %w", typ, c.err)
		}
		if typ == 1 && el.left() >= 4 {
			h.Bitmap, h.HasBitmap = el.u32(), true
		}
	}
	return h, nil
}

// Negotiate returns whether OpenFlow 1.3 can be spoken with a peer that
// sent hello version v with elements h (§6.3.1).
func Negotiate(v uint8, h Hello) bool {
	if h.HasBitmap {
		return h.Bitmap&(1<<Version) != 0
	}
	return v >= Version
}

// DecodeFeatures decodes a features reply body.
func DecodeFeatures(body []byte) (of13.Features, error) {
	c := cursor{b: body}
	f := of13.Features{DatapathID: c.u64(), NumBuffers: c.u32(), NumTables: c.u8(), AuxiliaryID: c.u8()}
	c.skip(2)
	f.Capabilities = c.u32()
	c.skip(4)
	if c.err != nil {
		return f, fmt.Errorf("features reply: %w", c.err)
	}
	return f, nil
}

// decodePort reads one 64-byte ofp_port.
func decodePort(c *cursor) of13.Port {
	var p of13.Port
	p.No = c.u32()
	c.skip(4)
	p.HWAddr = net.HardwareAddr(bytes.Clone(c.bytes(6)))
	c.skip(2)
	name := c.bytes(16)
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	p.Name = string(name)
	p.Config, p.State = c.u32(), c.u32()
	p.Curr, p.Advertised, p.Supported, p.Peer = c.u32(), c.u32(), c.u32(), c.u32()
	p.CurrSpeed, p.MaxSpeed = c.u32(), c.u32()
	return p
}

// DecodePorts decodes a port-desc multipart reply body.
func DecodePorts(body []byte) ([]of13.Port, error) {
	if len(body)%64 != 0 {
		return nil, fmt.Errorf("port-desc reply: length %d is not a multiple of 64", len(body))
	}
	c := cursor{b: body}
	out := make([]of13.Port, 0, len(body)/64)
	for c.left() > 0 {
		out = append(out, decodePort(&c))
	}
	return out, nil
}

// DecodePortStatus decodes a port-status body.
func DecodePortStatus(body []byte) (of13.PortStatus, error) {
	c := cursor{b: body}
	ps := of13.PortStatus{Reason: of13.PortReason(c.u8())}
	c.skip(7)
	ps.Port = decodePort(&c)
	if c.err != nil {
		return ps, fmt.Errorf("port-status: %w", c.err)
	}
	return ps, nil
}

// DecodeError decodes an error body with netrack's codec, whose fixed
// layout it gets right. Data is copied.
func DecodeError(body []byte) (*of13.Error, error) {
	var e ofp.Error
	if _, err := e.ReadFrom(bytes.NewReader(body)); err != nil {
		return nil, fmt.Errorf("error message: %w", err)
	}
	return &of13.Error{Type: of13.ErrorType(e.Type), Code: uint16(e.Code), Data: bytes.Clone(e.Data)}, nil
}

// DecodePacketIn decodes a packet-in body. Data is copied.
func DecodePacketIn(body []byte) (*of13.PacketIn, error) {
	c := cursor{b: body}
	p := &of13.PacketIn{BufferID: c.u32(), TotalLen: c.u16(), Reason: of13.PacketInReason(c.u8()), Table: c.u8(), Cookie: c.u64()}
	m, err := decodeMatch(&c)
	if err != nil {
		return nil, fmt.Errorf("packet-in: %w", err)
	}
	p.Match = m
	c.skip(2)
	if c.err != nil {
		return nil, fmt.Errorf("packet-in: %w", c.err)
	}
	p.Data = bytes.Clone(c.rest())
	return p, nil
}

// DecodeFlowRemoved decodes a flow-removed body.
func DecodeFlowRemoved(body []byte) (*of13.FlowRemoved, error) {
	c := cursor{b: body}
	r := &of13.FlowRemoved{}
	r.Cookie, r.Priority, r.Reason, r.Table = c.u64(), c.u16(), of13.FlowRemovedReason(c.u8()), c.u8()
	r.DurationSec, r.DurationNsec = c.u32(), c.u32()
	r.IdleTimeout, r.HardTimeout = c.u16(), c.u16()
	r.PacketCount, r.ByteCount = c.u64(), c.u64()
	m, err := decodeMatch(&c)
	if err != nil {
		return nil, fmt.Errorf("flow-removed: %w", err)
	}
	r.Match = m
	return r, nil
}

// MultipartReply is the header of a multipart reply body.
type MultipartReply struct {
	Type  uint16
	Flags uint16
	Body  []byte // aliases the input
}

// ErrShortMultipart reports a multipart reply without its 8-byte header.
var ErrShortMultipart = errors.New("multipart reply shorter than its header")

// DecodeMultipartReply splits a multipart reply body.
func DecodeMultipartReply(body []byte) (MultipartReply, error) {
	if len(body) < 8 {
		return MultipartReply{}, ErrShortMultipart
	}
	c := cursor{b: body}
	r := MultipartReply{Type: c.u16(), Flags: c.u16()}
	c.skip(4)
	r.Body = c.rest()
	return r, nil
}
