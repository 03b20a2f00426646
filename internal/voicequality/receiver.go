package voicequality

import (
	"math"
	"slices"
	"time"
)

// Stream accumulates what one receiver sees of one RTP stream (one SSRC):
// loss and jitter as RFC 3550 section 6.4.1 and appendix A.8 define them,
// and one-way delay from the send time each packet carries. It is not safe
// for concurrent use; Endpoint serialises access.
type Stream struct {
	codec    Codec
	epoch    time.Time
	interval time.Duration

	started  bool
	ssrc     uint32
	baseSeq  uint32 // extended sequence number of the first packet
	maxSeq   uint16
	cycles   uint32
	received int
	// RFC 3550 A.8: transit of the previous packet and the running
	// jitter, both in timestamp units.
	transit   float64
	jitter    float64
	refSent   time.Time // send time of the first packet
	delaySum  time.Duration
	delays    []time.Duration
	bucketRcv map[int]int
	bucketDel map[int]time.Duration
	bucketJit map[int]float64 // jitter after the bucket's last arrival
	seqs      []uint16        // every packet's sequence number, in arrival order
	// sched is the sender's own account, when known (Expect).
	sched *Schedule
	// What the last reception report counted (RFC 3550 A.3), for the
	// next one's fraction lost.
	expectedPrior uint32
	receivedPrior int
}

// Schedule is what a sender sent: Count packets, one per packet time from
// Start, numbered from FirstSeq.
type Schedule struct {
	Start    time.Time
	FirstSeq uint16
	Count    int
}

// Expect gives the stream the sender's schedule. Loss then counts against
// what was sent, which also covers packets lost before the first arrival
// or after the last (invisible to RFC 3550's count, which starts at the
// first sequence number received and ends at the highest) and a stream of
// which nothing arrived at all.
func (s *Stream) Expect(sc Schedule) { s.sched = &sc }

// NewStream starts the statistics of a stream of codec c. Time-series
// buckets are interval long and counted from epoch (by send time).
func NewStream(c Codec, epoch time.Time, interval time.Duration) *Stream {
	if interval <= 0 {
		interval = time.Second
	}
	return &Stream{codec: c, epoch: epoch, interval: interval,
		bucketRcv: map[int]int{}, bucketDel: map[int]time.Duration{}, bucketJit: map[int]float64{}}
}

// Add records packet p, which arrived at arrival. Packets of another SSRC
// than the first are ignored.
func (s *Stream) Add(p Packet, arrival time.Time) {
	if !s.started {
		s.started, s.ssrc = true, p.SSRC
		s.baseSeq, s.maxSeq = uint32(p.Seq), p.Seq
		s.refSent = p.Sent
	} else if p.SSRC != s.ssrc {
		return
	} else if d := p.Seq - s.maxSeq; d != 0 && d < 1<<15 {
		// In order (modulo 2^16): a smaller number means a wrap.
		if p.Seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = p.Seq
	}
	s.received++
	s.seqs = append(s.seqs, p.Seq)

	// Transit in timestamp units: arrival on the RTP clock minus the
	// packet's RTP timestamp. Only differences matter, so the arrival
	// clock's origin is irrelevant.
	rate := float64(s.codec.ClockRate)
	arr := float64(arrival.Sub(s.epoch)) / float64(time.Second) * rate
	transit := arr - float64(p.Timestamp)
	if s.received > 1 {
		d := math.Abs(transit - s.transit)
		s.jitter += (d - s.jitter) / 16
	}
	s.transit = transit

	delay := arrival.Sub(p.Sent)
	s.delaySum += delay
	s.delays = append(s.delays, delay)
	b := s.bucket(p.Sent)
	s.bucketRcv[b]++
	s.bucketDel[b] += delay
	s.bucketJit[b] = s.jitter
}

func (s *Stream) bucket(sent time.Time) int {
	return int(sent.Sub(s.epoch) / s.interval)
}

// Stats is a stream's summary.
type Stats struct {
	Codec    Codec
	Expected int
	Received int
	// Lost is Expected - Received, never negative (duplicates).
	Lost int
	// Loss is Lost/Expected.
	Loss float64
	// Jitter is the RFC 3550 interarrival jitter at the end.
	Jitter time.Duration
	// Delay figures are one-way, network only.
	DelayMean, DelayP95, DelayMax time.Duration
	// R and MOS are the E-model's estimate (see Rate).
	R, MOS float64
	// EF counts packets that arrived marked DSCP 46 (Endpoint only).
	EF int
}

// extMax is the highest extended sequence number seen.
func (s *Stream) extMax() uint32 { return s.cycles + uint32(s.maxSeq) }

// Stats summarises the stream so far.
func (s *Stream) Stats() Stats {
	st := Stats{Codec: s.codec, Received: s.received}
	switch {
	case s.sched != nil:
		st.Expected = s.sched.Count
	case s.started:
		st.Expected = int(s.extMax() - s.baseSeq + 1)
	}
	if st.Expected == 0 {
		return st
	}
	st.Lost = max(st.Expected-st.Received, 0)
	st.Loss = float64(st.Lost) / float64(st.Expected)
	if !s.started { // nothing arrived
		st.R = Rate(s.codec, MouthToEar(s.codec, 0, 0), st.Loss)
		st.MOS = MOS(st.R)
		return st
	}
	st.Jitter = s.jitterDuration(s.jitter)
	st.DelayMean = s.delaySum / time.Duration(s.received)
	d := slices.Clone(s.delays)
	slices.Sort(d)
	st.DelayP95 = d[(len(d)*95+99)/100-1]
	st.DelayMax = d[len(d)-1]
	st.R = Rate(s.codec, MouthToEar(s.codec, st.DelayMean, st.Jitter), st.Loss)
	st.MOS = MOS(st.R)
	return st
}

func (s *Stream) jitterDuration(units float64) time.Duration {
	return time.Duration(units / float64(s.codec.ClockRate) * float64(time.Second))
}

// Point is one interval of the time series.
type Point struct {
	// At is the interval's start, relative to the epoch.
	At       time.Duration
	Expected int
	Received int
	Loss     float64
	// Jitter is the RFC 3550 jitter after the interval's last arrival.
	Jitter time.Duration
	// Delay is the interval's mean one-way delay (0 if nothing arrived).
	Delay time.Duration
}

// Series returns the per-interval time series, by send time. Expected
// counts come from the sender's fixed schedule: packet n was sent n
// packet times after the first one.
//
// With the sender's schedule (Expect), packet i counts in the interval of
// its scheduled send time, both as expected and, by its sequence number,
// as received.
func (s *Stream) Series() []Point {
	exp, rcv := map[int]int{}, s.bucketRcv
	lo, hi := math.MaxInt, math.MinInt
	switch {
	case s.sched != nil:
		at := func(i int) int { return s.bucket(s.sched.Start.Add(time.Duration(i) * s.codec.Ptime)) }
		for i := range s.sched.Count {
			b := at(i)
			exp[b]++
			lo, hi = min(lo, b), max(hi, b)
		}
		rcv = map[int]int{}
		for _, q := range s.seqs {
			if i := int(q - s.sched.FirstSeq); i < s.sched.Count {
				rcv[at(i)]++
			}
		}
	case s.started:
		for q := s.baseSeq; q <= s.extMax(); q++ {
			b := s.bucket(s.refSent.Add(time.Duration(q-s.baseSeq) * s.codec.Ptime))
			exp[b]++
			lo, hi = min(lo, b), max(hi, b)
		}
	default:
		return nil
	}
	var out []Point
	jit := 0.0
	for b := lo; b <= hi; b++ {
		p := Point{At: time.Duration(b) * s.interval, Expected: exp[b], Received: rcv[b]}
		if p.Expected > 0 {
			p.Loss = max(float64(p.Expected-p.Received), 0) / float64(p.Expected)
		}
		if j, ok := s.bucketJit[b]; ok {
			jit = j
		}
		p.Jitter = s.jitterDuration(jit)
		if n := s.bucketRcv[b]; n > 0 {
			p.Delay = s.bucketDel[b] / time.Duration(n)
		}
		out = append(out, p)
	}
	return out
}
