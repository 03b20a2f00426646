package voicequality

import (
	"math"
	"testing"
	"time"
)

// feed builds packets of a 50 pps G.711 stream: for each i in seqs, the
// packet sent at i x 20 ms, arriving extra[i] later than the base delay.
type synth struct {
	s     *Stream
	epoch time.Time
	seq0  uint16
	ts0   uint32
}

func newSynth(seq0 uint16) *synth {
	epoch := time.Unix(1_700_000_000, 0)
	return &synth{s: NewStream(G711, epoch, time.Second), epoch: epoch, seq0: seq0, ts0: 4000}
}

func (y *synth) add(i int, transit time.Duration) {
	sent := y.epoch.Add(time.Duration(i) * 20 * time.Millisecond)
	y.s.Add(Packet{Seq: y.seq0 + uint16(i), Timestamp: y.ts0 + uint32(i)*160, SSRC: 7, Sent: sent}, sent.Add(transit))
}

// RFC 3550 A.8 by hand: transit constant except packet 1, 10 ms (80
// timestamp units) late. D(0,1) = 80: J = 80/16 = 5. D(1,2) = -80:
// J = 5 + (80-5)/16 = 9.6875. D(2,3) = 0: J = 9.6875 - 9.6875/16 =
// 9.08203125 units = 1.13525 ms at 8 kHz.
func TestJitterRFC3550(t *testing.T) {
	y := newSynth(100)
	y.add(0, 5*time.Millisecond)
	y.add(1, 15*time.Millisecond)
	if got := y.s.jitter; got != 5 {
		t.Fatalf("after one late packet J = %v units, want 5", got)
	}
	y.add(2, 5*time.Millisecond)
	if got := y.s.jitter; got != 9.6875 {
		t.Fatalf("J = %v units, want 9.6875", got)
	}
	y.add(3, 5*time.Millisecond)
	st := y.s.Stats()
	want := 1135253 * time.Nanosecond // 9.08203125 / 8000 s, truncated
	if st.Jitter != want {
		t.Fatalf("jitter %v, want %v", st.Jitter, want)
	}
	if st.DelayMax != 15*time.Millisecond || st.DelayMean != 7500*time.Microsecond {
		t.Fatalf("delay mean %v max %v", st.DelayMean, st.DelayMax)
	}
}

// A constant transit gives zero jitter whatever the delay.
func TestJitterZeroForConstantDelay(t *testing.T) {
	y := newSynth(0)
	for i := range 100 {
		y.add(i, 80*time.Millisecond)
	}
	if st := y.s.Stats(); st.Jitter != 0 || st.Loss != 0 || st.DelayP95 != 80*time.Millisecond {
		t.Fatalf("%+v", st)
	}
}

// Loss counts from the highest sequence number, across the 16-bit wrap;
// the time series puts each loss in the second its packet was sent.
func TestLossAcrossWrapAndSeries(t *testing.T) {
	y := newSynth(65500) // wraps after 36 packets
	lost := map[int]bool{10: true, 40: true, 41: true, 60: true, 120: true}
	for i := range 150 { // 3 s at 50 pps
		if !lost[i] {
			y.add(i, 2*time.Millisecond)
		}
	}
	st := y.s.Stats()
	if st.Expected != 150 || st.Received != 145 || st.Lost != 5 {
		t.Fatalf("expected %d received %d lost %d", st.Expected, st.Received, st.Lost)
	}
	if st.Loss != 5.0/150 {
		t.Fatalf("loss %v", st.Loss)
	}
	ser := y.s.Series()
	if len(ser) != 3 {
		t.Fatalf("%d points", len(ser))
	}
	// Seconds: packets 0-49 (10, 40, 41 lost), 50-99 (60), 100-149 (120).
	for i, lostIn := range []int{3, 1, 1} {
		p := ser[i]
		if p.Expected != 50 || p.Received != 50-lostIn || p.At != time.Duration(i)*time.Second {
			t.Errorf("second %d: %+v", i, p)
		}
	}
}

// A reordered packet is not a loss and does not move the highest
// sequence number back; a duplicate does not make loss negative.
func TestReorderAndDuplicate(t *testing.T) {
	y := newSynth(10)
	y.add(0, time.Millisecond)
	y.add(2, time.Millisecond)
	y.add(1, 30*time.Millisecond)
	y.add(3, time.Millisecond)
	y.add(3, time.Millisecond)
	st := y.s.Stats()
	if st.Expected != 4 || st.Lost != 0 || st.Loss != 0 {
		t.Fatalf("%+v", st)
	}
}

// Packets of a second SSRC on the same socket are not mixed in.
func TestOtherSSRCIgnored(t *testing.T) {
	y := newSynth(10)
	y.add(0, time.Millisecond)
	y.s.Add(Packet{Seq: 5000, SSRC: 8, Sent: y.epoch}, y.epoch)
	if st := y.s.Stats(); st.Received != 1 || st.Expected != 1 {
		t.Fatalf("%+v", st)
	}
}

func TestPacketRoundTrip(t *testing.T) {
	sent := time.Unix(1_700_000_000, 123456789)
	p := Packet{PayloadType: 18, Seq: 65535, Timestamp: 0xdeadbeef, SSRC: 42, Sent: sent}
	b := p.Marshal(nil, G729.PayloadBytes)
	if len(b) != 12+20 {
		t.Fatalf("len %d", len(b))
	}
	q, err := ParsePacket(b)
	if err != nil || q.Seq != p.Seq || q.Timestamp != p.Timestamp || q.SSRC != 42 || q.PayloadType != 18 || !q.Sent.Equal(sent) {
		t.Fatalf("%+v %v", q, err)
	}
	for _, bad := range [][]byte{nil, b[:19], append([]byte{0x80 | 0x10}, b[1:]...), append([]byte{0x40}, b[1:]...)} {
		if _, err := ParsePacket(bad); err == nil {
			t.Errorf("accepted %x", bad)
		}
	}
}

// With the sender's schedule, losses before the first arrival and after
// the last count, which RFC 3550's count from the received sequence
// numbers cannot see; and the series puts them in their seconds.
func TestScheduleCountsEdgeLosses(t *testing.T) {
	y := newSynth(65530)
	for i := 5; i < 140; i++ { // 0-4 and 140-149 lost
		y.add(i, 2*time.Millisecond)
	}
	if st := y.s.Stats(); st.Expected != 135 || st.Lost != 0 {
		t.Fatalf("RFC 3550 view: %+v", st)
	}
	y.s.Expect(Schedule{Start: y.epoch, FirstSeq: 65530, Count: 150})
	st := y.s.Stats()
	if st.Expected != 150 || st.Lost != 15 || st.Loss != 0.1 {
		t.Fatalf("expected %d lost %d loss %v", st.Expected, st.Lost, st.Loss)
	}
	ser := y.s.Series()
	if len(ser) != 3 || ser[0].Received != 45 || ser[1].Received != 50 || ser[2].Received != 40 {
		t.Fatalf("%+v", ser)
	}
}

// A stream of which nothing arrived is 100% loss, not an empty line in
// the table.
func TestNothingArrived(t *testing.T) {
	s := NewStream(G711, time.Unix(0, 0), time.Second)
	if st := s.Stats(); st.Expected != 0 || st.MOS != 0 {
		t.Fatalf("without a schedule: %+v", st)
	}
	s.Expect(Schedule{Start: time.Unix(0, 0), Count: 100})
	st := s.Stats()
	if st.Loss != 1 || st.Lost != 100 || math.Abs(st.R-(93.2-95*100/125.1)) > 1e-9 {
		t.Fatalf("%+v", st)
	}
	if ser := s.Series(); len(ser) != 2 || ser[0].Loss != 1 || ser[1].Loss != 1 {
		t.Fatalf("%+v", ser)
	}
}
