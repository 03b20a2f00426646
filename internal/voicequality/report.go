package voicequality

import "time"

// ReportBlock returns the reception report block a receiver sends about
// the stream (RFC 3550 section 6.4.1 and appendix A.3), LSR and DLSR left
// to the caller, and false when nothing has arrived yet. Each call starts
// a new interval for the fraction lost.
//
// Its figures are the stream's own: cumulative lost is Stats' Lost
// counted RFC 3550's way (from the first packet received to the highest
// sequence number, not against the sender's schedule), and the jitter is
// the same estimate, truncated to whole timestamp units.
func (s *Stream) ReportBlock() (ReportBlock, bool) {
	if !s.started {
		return ReportBlock{}, false
	}
	ext := s.extMax()
	expected := ext - s.baseSeq + 1
	expInt := int64(expected - s.expectedPrior)
	lostInt := expInt - int64(s.received-s.receivedPrior)
	s.expectedPrior, s.receivedPrior = expected, s.received
	var frac uint8
	if expInt > 0 && lostInt > 0 {
		frac = uint8(min(lostInt<<8/expInt, 255))
	}
	return ReportBlock{SSRC: s.ssrc, FractionLost: frac, CumulativeLost: clampLost(int64(expected) - int64(s.received)),
		HighestSeq: ext, Jitter: uint32(s.jitter)}, true
}

// RTCPStats is what the peer's RTCP reports told a sender about its
// stream: the latest report block about it, read the way a phone or a
// monitoring tool reads it.
type RTCPStats struct {
	// Reports counts the peer's report blocks about the stream received.
	Reports int
	// Last is the latest of them.
	Last ReportBlock
	// Lost is its cumulative count; Loss that over the packets the sender
	// sent up to the highest sequence number reported (a count of
	// RFC 3550's starts at the first packet received, so packets lost
	// before it are not in it).
	Lost int
	Loss float64
	// Jitter is the reported interarrival jitter.
	Jitter time.Duration
	// RTT is the round-trip time from the latest block that named one of
	// the sender's SRs (LSR/DLSR); HasRTT says whether any did.
	RTT    time.Duration
	HasRTT bool
	// Sent counts the RTCP packets this endpoint sent.
	Sent int
}

// reading fills the figures of st from its latest block, for a sender
// whose first packet had sequence number firstSeq at clock rate hz.
func (st *RTCPStats) reading(firstSeq uint16, hz int) {
	k := st.Last
	// The extended highest number's low bits name the packet; a stream
	// shorter than 2^16 packets (21 minutes at 50 pps) needs no more.
	expected := int(uint16(k.HighestSeq)-firstSeq) + 1
	st.Lost = int(k.CumulativeLost)
	if expected > 0 {
		st.Loss = max(float64(st.Lost), 0) / float64(expected)
	}
	if hz > 0 {
		st.Jitter = time.Duration(float64(k.Jitter) / float64(hz) * float64(time.Second))
	}
}
