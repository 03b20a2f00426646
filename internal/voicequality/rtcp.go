package voicequality

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// RTCP as RFC 3550 section 6 defines it, as much of it as a phone uses to
// tell its peer how the peer's stream arrives: sender reports (SR) and
// receiver reports (RR) with reception report blocks, in compound packets
// that also carry an SDES CNAME. The parser reads what a peer sends, so it
// bounds everything: a packet's length must fit the datagram, a compound
// packet holds at most maxRTCPPackets packets, and a report at most the 31
// blocks its 5-bit count allows.

// RTCP packet types (RFC 3550 section 12.1).
const (
	rtcpSR   = 200
	rtcpRR   = 201
	rtcpSDES = 202
)

const (
	rtcpHeaderLen  = 4
	senderInfoLen  = 20
	reportBlockLen = 24
	// maxRTCPPackets bounds the packets of one compound packet that the
	// parser looks at: a phone sends two or three.
	maxRTCPPackets = 16
)

// ReportBlock is one reception report block: what the report's sender
// saw of the stream of source SSRC.
type ReportBlock struct {
	SSRC uint32
	// FractionLost is the share of packets lost since the previous
	// report, in 1/256.
	FractionLost uint8
	// CumulativeLost is the number of packets lost since the first one
	// received (24 bits, signed: duplicates can make it negative).
	CumulativeLost int32
	// HighestSeq is the extended highest sequence number received.
	HighestSeq uint32
	// Jitter is the interarrival jitter, in RTP timestamp units.
	Jitter uint32
	// LSR is the middle 32 bits of the NTP timestamp of the last SR
	// received from SSRC (0: none yet), DLSR the delay since then in
	// 1/65536 s.
	LSR, DLSR uint32
}

// SenderInfo is an SR's account of what its sender sent.
type SenderInfo struct {
	// NTP is the wallclock time of the report (RFC 3550's NTP format),
	// RTPTime the same instant on the stream's RTP clock.
	NTP     uint64
	RTPTime uint32
	// Packets and Octets are the RTP packets and payload octets sent.
	Packets, Octets uint32
}

// Report is one SR (Sender set) or RR.
type Report struct {
	SSRC   uint32
	Sender *SenderInfo
	Blocks []ReportBlock
}

// MarshalRTCP writes r, followed by an SDES packet with cname, as one
// compound RTCP packet into b, which it returns resliced. r has at most 31
// blocks; cname at most 255 bytes.
func MarshalRTCP(b []byte, r Report, cname string) []byte {
	b = b[:0]
	blocks := r.Blocks[:min(len(r.Blocks), 31)]
	pt, n := byte(rtcpRR), 8+reportBlockLen*len(blocks)
	if r.Sender != nil {
		pt, n = rtcpSR, n+senderInfoLen
	}
	b = append(b, 2<<6|byte(len(blocks)), pt)
	b = binary.BigEndian.AppendUint16(b, uint16(n/4-1))
	b = binary.BigEndian.AppendUint32(b, r.SSRC)
	if s := r.Sender; s != nil {
		b = binary.BigEndian.AppendUint64(b, s.NTP)
		b = binary.BigEndian.AppendUint32(b, s.RTPTime)
		b = binary.BigEndian.AppendUint32(b, s.Packets)
		b = binary.BigEndian.AppendUint32(b, s.Octets)
	}
	for _, k := range blocks {
		lost := uint32(clampLost(int64(k.CumulativeLost))) & 0xffffff
		b = binary.BigEndian.AppendUint32(b, k.SSRC)
		b = binary.BigEndian.AppendUint32(b, uint32(k.FractionLost)<<24|lost)
		b = binary.BigEndian.AppendUint32(b, k.HighestSeq)
		b = binary.BigEndian.AppendUint32(b, k.Jitter)
		b = binary.BigEndian.AppendUint32(b, k.LSR)
		b = binary.BigEndian.AppendUint32(b, k.DLSR)
	}
	// SDES: one chunk (the SSRC, CNAME item, end of list), padded to
	// 32 bits with the terminating zeros.
	cname = cname[:min(len(cname), 255)]
	chunk := 4 + 2 + len(cname) + 1
	chunk += (4 - chunk%4) % 4
	b = append(b, 2<<6|1, rtcpSDES)
	b = binary.BigEndian.AppendUint16(b, uint16((rtcpHeaderLen+chunk)/4-1))
	b = binary.BigEndian.AppendUint32(b, r.SSRC)
	b = append(b, 1, byte(len(cname)))
	b = append(b, cname...)
	for range chunk - 6 - len(cname) {
		b = append(b, 0)
	}
	return b
}

var errRTCP = errors.New("voicequality: not an RTCP compound packet")

// ParseRTCP reads the SRs and RRs of a compound RTCP packet; the other
// packets (SDES, BYE, APP, ...) are skipped. It checks what RFC 3550
// appendix A.2 asks of a compound packet: version 2 throughout, an SR or
// RR first, padding only in the last packet, and lengths that add up to
// the datagram's.
func ParseRTCP(b []byte) ([]Report, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", errRTCP)
	}
	var out []Report
	for i := 0; len(b) > 0; i++ {
		if i == maxRTCPPackets {
			return nil, fmt.Errorf("%w: more than %d packets", errRTCP, maxRTCPPackets)
		}
		if len(b) < rtcpHeaderLen {
			return nil, fmt.Errorf("%w: %d trailing bytes", errRTCP, len(b))
		}
		if b[0]>>6 != 2 {
			return nil, fmt.Errorf("%w: version %d", errRTCP, b[0]>>6)
		}
		count, pt := int(b[0]&0x1f), b[1]
		n := (int(binary.BigEndian.Uint16(b[2:])) + 1) * 4
		if n > len(b) {
			return nil, fmt.Errorf("%w: packet of %d bytes in %d", errRTCP, n, len(b))
		}
		if i == 0 && pt != rtcpSR && pt != rtcpRR {
			return nil, fmt.Errorf("%w: starts with packet type %d", errRTCP, pt)
		}
		body := b[rtcpHeaderLen:n]
		if b[0]&0x20 != 0 { // padding: last packet only, its count in the last byte
			if n != len(b) {
				return nil, fmt.Errorf("%w: padding before the last packet", errRTCP)
			}
			pad := int(b[n-1])
			if pad == 0 || pad > len(body) {
				return nil, fmt.Errorf("%w: padding of %d bytes", errRTCP, pad)
			}
			body = body[:len(body)-pad]
		}
		b = b[n:]
		if pt != rtcpSR && pt != rtcpRR {
			continue
		}
		r, err := parseReport(pt, count, body)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// parseReport reads an SR or RR body (after the common header).
func parseReport(pt byte, count int, body []byte) (Report, error) {
	need := 4 + reportBlockLen*count
	if pt == rtcpSR {
		need += senderInfoLen
	}
	if len(body) < need {
		return Report{}, fmt.Errorf("%w: report of %d blocks in %d bytes", errRTCP, count, len(body))
	}
	r := Report{SSRC: binary.BigEndian.Uint32(body)}
	body = body[4:]
	if pt == rtcpSR {
		r.Sender = &SenderInfo{NTP: binary.BigEndian.Uint64(body), RTPTime: binary.BigEndian.Uint32(body[8:]),
			Packets: binary.BigEndian.Uint32(body[12:]), Octets: binary.BigEndian.Uint32(body[16:])}
		body = body[senderInfoLen:]
	}
	if count > 0 {
		r.Blocks = make([]ReportBlock, count)
	}
	for i := range r.Blocks {
		k := body[i*reportBlockLen:]
		lost := binary.BigEndian.Uint32(k[4:]) & 0xffffff
		r.Blocks[i] = ReportBlock{
			SSRC:           binary.BigEndian.Uint32(k),
			FractionLost:   k[4],
			CumulativeLost: int32(lost<<8) >> 8, // sign-extend 24 bits
			HighestSeq:     binary.BigEndian.Uint32(k[8:]),
			Jitter:         binary.BigEndian.Uint32(k[12:]),
			LSR:            binary.BigEndian.Uint32(k[16:]),
			DLSR:           binary.BigEndian.Uint32(k[20:]),
		}
	}
	return r, nil
}

// clampLost fits a cumulative loss into the 24-bit signed field.
func clampLost(n int64) int32 {
	return int32(min(max(n, -0x800000), 0x7fffff))
}

// ntpEpoch is 1900-01-01, where NTP time starts.
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// NTPTime is t in RFC 3550's 64-bit NTP format: seconds since 1900 in
// the high word, the fraction in the low one.
func NTPTime(t time.Time) uint64 {
	d := t.Sub(ntpEpoch) // saturates at ~292 years: good until 2192
	sec := uint64(d / time.Second)
	frac := uint64(d%time.Second) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// ntpMiddle is the middle 32 bits of an NTP time, in 1/65536 s: the unit
// of LSR and DLSR.
func ntpMiddle(ntp uint64) uint32 { return uint32(ntp >> 16) }

// RoundTrip is the round-trip time a report block tells its receiver,
// which sent the SR the block's LSR names and got the block at arrival
// (RFC 3550 section 6.4.1: arrival - LSR - DLSR), and false when the
// block names no SR.
func RoundTrip(k ReportBlock, arrival time.Time) (time.Duration, bool) {
	if k.LSR == 0 {
		return 0, false
	}
	units := int32(ntpMiddle(NTPTime(arrival)) - k.LSR - k.DLSR)
	return time.Duration(units) * time.Second / 65536, true
}
