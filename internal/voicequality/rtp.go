package voicequality

import (
	"encoding/binary"
	"errors"
	"time"
)

const (
	rtpHeaderLen = 12
	// stampLen: the first payload bytes carry the send time (Unix ns), so
	// the receiver can measure one-way delay against the shared clock.
	stampLen = 8
)

// Packet is the part of an RTP packet the measurement uses.
type Packet struct {
	PayloadType uint8
	Seq         uint16
	Timestamp   uint32
	SSRC        uint32
	// Sent is the send time carried in the payload.
	Sent time.Time
}

var errShort = errors.New("voicequality: not an RTP packet of this generator")

// Marshal writes p as an RTP version 2 packet with a payload of
// payloadBytes (at least 8: the send time) into b, which it returns
// resliced.
func (p Packet) Marshal(b []byte, payloadBytes int) []byte {
	payloadBytes = max(payloadBytes, stampLen)
	n := rtpHeaderLen + payloadBytes
	if cap(b) < n {
		b = make([]byte, n)
	}
	b = b[:n]
	clear(b)
	b[0] = 2 << 6 // V=2, no padding, no extension, no CSRC
	b[1] = p.PayloadType & 0x7f
	binary.BigEndian.PutUint16(b[2:], p.Seq)
	binary.BigEndian.PutUint32(b[4:], p.Timestamp)
	binary.BigEndian.PutUint32(b[8:], p.SSRC)
	binary.BigEndian.PutUint64(b[rtpHeaderLen:], uint64(p.Sent.UnixNano()))
	return b
}

// ParsePacket reads an RTP packet written by Marshal.
func ParsePacket(b []byte) (Packet, error) {
	if len(b) < rtpHeaderLen+stampLen || b[0]>>6 != 2 || b[0]&0x3f != 0 {
		return Packet{}, errShort
	}
	return Packet{
		PayloadType: b[1] & 0x7f,
		Seq:         binary.BigEndian.Uint16(b[2:]),
		Timestamp:   binary.BigEndian.Uint32(b[4:]),
		SSRC:        binary.BigEndian.Uint32(b[8:]),
		Sent:        time.Unix(0, int64(binary.BigEndian.Uint64(b[rtpHeaderLen:]))),
	}, nil
}
