package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is the OpenFlow 1.3 wire version.
const Version = 4

// HeaderLen is the length of the OpenFlow header.
const HeaderLen = 8

// Type is an OpenFlow 1.3 message type (OFPT_*).
type Type uint8

// Message types.
const (
	TypeHello                 Type = 0
	TypeError                 Type = 1
	TypeEchoRequest           Type = 2
	TypeEchoReply             Type = 3
	TypeExperimenter          Type = 4
	TypeFeaturesRequest       Type = 5
	TypeFeaturesReply         Type = 6
	TypeGetConfigRequest      Type = 7
	TypeGetConfigReply        Type = 8
	TypeSetConfig             Type = 9
	TypePacketIn              Type = 10
	TypeFlowRemoved           Type = 11
	TypePortStatus            Type = 12
	TypePacketOut             Type = 13
	TypeFlowMod               Type = 14
	TypeGroupMod              Type = 15
	TypePortMod               Type = 16
	TypeTableMod              Type = 17
	TypeMultipartRequest      Type = 18
	TypeMultipartReply        Type = 19
	TypeBarrierRequest        Type = 20
	TypeBarrierReply          Type = 21
	TypeQueueGetConfigRequest Type = 22
	TypeQueueGetConfigReply   Type = 23
	TypeRoleRequest           Type = 24
	TypeRoleReply             Type = 25
	TypeGetAsyncRequest       Type = 26
	TypeGetAsyncReply         Type = 27
	TypeSetAsync              Type = 28
	TypeMeterMod              Type = 29
)

var typeNames = [...]string{"hello", "error", "echo-request", "echo-reply", "experimenter",
	"features-request", "features-reply", "get-config-request", "get-config-reply", "set-config",
	"packet-in", "flow-removed", "port-status", "packet-out", "flow-mod", "group-mod", "port-mod",
	"table-mod", "multipart-request", "multipart-reply", "barrier-request", "barrier-reply",
	"queue-get-config-request", "queue-get-config-reply", "role-request", "role-reply",
	"get-async-request", "get-async-reply", "set-async", "meter-mod"}

// String implements fmt.Stringer.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type%d", uint8(t))
}

// Header is the OpenFlow message header.
type Header struct {
	Version uint8
	Type    Type
	Length  uint16
	XID     uint32
}

// ParseHeader decodes the first HeaderLen bytes of b.
func ParseHeader(b []byte) Header {
	return Header{Version: b[0], Type: Type(b[1]), Length: binary.BigEndian.Uint16(b[2:]), XID: binary.BigEndian.Uint32(b[4:])}
}

// ErrBadLength reports a header whose length is shorter than the header.
var ErrBadLength = errors.New("message length shorter than header")

// Reader reads whole messages from a stream into one reused buffer.
type Reader struct {
	r   io.Reader
	buf []byte
}

// NewReader returns a Reader on r; wrap r in a bufio.Reader first.
func NewReader(r io.Reader) *Reader { return &Reader{r: r, buf: make([]byte, 1<<16)} }

// NewSmallReader returns a Reader whose buffer starts at size bytes and
// grows only when a longer message arrives. It is for connections that
// have not proved themselves yet (the handshake), so that an idle or
// hostile peer costs little memory.
func NewSmallReader(r io.Reader, size int) *Reader {
	return &Reader{r: r, buf: make([]byte, max(size, HeaderLen))}
}

// Next reads one message and returns its header and body. The body is only
// valid until the next call. Any version is returned; the caller checks it.
func (r *Reader) Next() (Header, []byte, error) {
	if _, err := io.ReadFull(r.r, r.buf[:HeaderLen]); err != nil {
		return Header{}, nil, err
	}
	h := ParseHeader(r.buf)
	if h.Length < HeaderLen {
		return h, nil, fmt.Errorf("%s xid %d: length %d: %w", h.Type, h.XID, h.Length, ErrBadLength)
	}
	if int(h.Length) > len(r.buf) {
		// Only a small reader grows; a message is at most 64 KiB.
		nb := make([]byte, min(max(int(h.Length), 2*len(r.buf)), 1<<16))
		copy(nb, r.buf[:HeaderLen])
		r.buf = nb
	}
	body := r.buf[HeaderLen:h.Length]
	if _, err := io.ReadFull(r.r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return h, nil, fmt.Errorf("%s xid %d: truncated body: %w", h.Type, h.XID, err)
	}
	return h, body, nil
}

// appendHeader appends a header with a zero length; finish sets it.
func appendHeader(b []byte, t Type, xid uint32) []byte {
	return append(b, Version, byte(t), 0, 0, byte(xid>>24), byte(xid>>16), byte(xid>>8), byte(xid))
}

// finish sets the length of the message that starts at start.
func finish(b []byte, start int) []byte {
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

// AppendSimple appends a message with body (echo, barrier, features request).
func AppendSimple(b []byte, t Type, xid uint32, body []byte) []byte {
	start := len(b)
	b = appendHeader(b, t, xid)
	b = append(b, body...)
	return finish(b, start)
}

func be16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }
func be32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
func be64(b []byte, v uint64) []byte {
	return append(b, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
func zeros(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}
func pad8(b []byte, start int) []byte { return zeros(b, (8-(len(b)-start)%8)%8) }
