package voicequality

import (
	"fmt"
	"strings"
	"time"
)

// Codec is what the generator needs to send a codec's RTP and what the
// E-model needs to rate it.
type Codec struct {
	// Name as Asterisk reports it ("ulaw", "g729").
	Name string
	// PayloadType is the static RTP payload type (RFC 3551).
	PayloadType uint8
	// ClockRate of the RTP timestamp, Hz.
	ClockRate int
	// PayloadBytes per packet at Ptime.
	PayloadBytes int
	// Ptime is the packetisation interval.
	Ptime time.Duration
	// Lookahead is the encoder's algorithmic delay beyond one frame.
	Lookahead time.Duration
	// Ie is the equipment impairment factor and Bpl the packet-loss
	// robustness factor (ITU-T G.113 Appendix I).
	Ie, Bpl float64
}

// G.711 µ-law with packet loss concealment (G.711 Appendix I): Ie 0,
// Bpl 25.1 for random loss (G.113 Appendix I, Table I.3).
var G711 = Codec{Name: "ulaw", PayloadType: 0, ClockRate: 8000, PayloadBytes: 160,
	Ptime: 20 * time.Millisecond, Ie: 0, Bpl: 25.1}

// G.729A: Ie 11, Bpl 19.0 (G.113 Appendix I, Table I.3, the G.729A + VAD
// row, the only G.729 row with a Bpl); 10 ms frames, two per packet, 5 ms
// look-ahead.
var G729 = Codec{Name: "g729", PayloadType: 18, ClockRate: 8000, PayloadBytes: 20,
	Ptime: 20 * time.Millisecond, Lookahead: 5 * time.Millisecond, Ie: 11, Bpl: 19.0}

// CodecByName returns the codec with the given Asterisk name.
func CodecByName(name string) (Codec, error) {
	switch strings.ToLower(name) {
	case "ulaw", "pcmu", "g711":
		return G711, nil
	case "g729":
		return G729, nil
	}
	return Codec{}, fmt.Errorf("voicequality: unknown codec %q", name)
}

// samplesPerPacket is the RTP timestamp increment per packet.
func (c Codec) samplesPerPacket() uint32 {
	return uint32(int64(c.ClockRate) * int64(c.Ptime) / int64(time.Second))
}

// WireKbps is the codec's bandwidth on Ethernet (IP, UDP, RTP and the
// 14-byte Ethernet header included, no preamble or FCS).
func (c Codec) WireKbps() float64 {
	pps := float64(time.Second) / float64(c.Ptime)
	return float64(c.PayloadBytes+rtpHeaderLen+8+20+14) * 8 * pps / 1000
}
