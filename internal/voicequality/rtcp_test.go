package voicequality

import (
	"bytes"
	"encoding/binary"
	"net"
	"reflect"
	"testing"
	"time"
)

// TestReportBlockMatchesReceiver: for a stream with loss, reordering,
// jitter and a sequence number wrap, the reception report blocks carry
// the receiver's own figures: cumulative lost is Stats' Lost, the
// extended highest sequence number the last packet's, the jitter the
// receiver's estimate (to the timestamp unit), and each fraction lost is
// that interval's, as RFC 3550 A.3 computes it. They survive the wire,
// and the sender reads the same loss and jitter out of them.
func TestReportBlockMatchesReceiver(t *testing.T) {
	const seq0 = 65500 // wraps at packet 36
	y := newSynth(seq0)
	lost := map[int]bool{10: true, 11: true, 50: true, 120: true, 121: true, 122: true, 180: true}
	// Arrival order: 61 before 60, and 150 after 152.
	var order []int
	for i := range 200 {
		order = append(order, i)
	}
	order[60], order[61] = 61, 60
	order[150], order[151], order[152] = 151, 152, 150
	feed := func(from, to int) {
		for _, i := range order[from:to] {
			if lost[i] {
				continue
			}
			extra := time.Duration(i%7) * time.Millisecond // jitter
			y.add(i, 5*time.Millisecond+extra)
		}
	}
	check := func(k ReportBlock, last int, lostSoFar int, frac uint8) {
		t.Helper()
		st := y.s.Stats()
		if int(k.CumulativeLost) != lostSoFar || st.Lost != lostSoFar {
			t.Errorf("cumulative lost %d, receiver's %d, want %d", k.CumulativeLost, st.Lost, lostSoFar)
		}
		if want := uint32(seq0 + last); k.HighestSeq != want { // extended: past 65535 after the wrap
			t.Errorf("highest seq %d, want %d", k.HighestSeq, want)
		}
		if k.FractionLost != frac {
			t.Errorf("fraction lost %d/256, want %d", k.FractionLost, frac)
		}
		j := time.Duration(k.Jitter) * time.Second / 8000
		if d := st.Jitter - j; k.Jitter == 0 || d < 0 || d >= time.Second/8000 {
			t.Errorf("reported jitter %v (%d units), receiver's %v", j, k.Jitter, st.Jitter)
		}
		if k.SSRC != 7 {
			t.Errorf("block about SSRC %d", k.SSRC)
		}
	}
	feed(0, 100)
	k1, ok := y.s.ReportBlock()
	if !ok {
		t.Fatal("no block")
	}
	check(k1, 99, 3, 3*256/100) // 10, 11, 50 of 100
	feed(100, 200)
	k2, _ := y.s.ReportBlock()
	check(k2, 199, 7, 4*256/100) // 120-122, 180 of the next 100

	// On the wire, and read back by the sender (first sequence number
	// seq0, 200 packets sent).
	k2.LSR, k2.DLSR = 0x12345678, 0x8000
	pkt := MarshalRTCP(nil, Report{SSRC: 9, Sender: &SenderInfo{NTP: 1 << 40, RTPTime: 5, Packets: 193, Octets: 193 * 160},
		Blocks: []ReportBlock{k2}}, "phone@10.0.0.1")
	reports, err := ParseRTCP(pkt)
	if err != nil || len(reports) != 1 || !reflect.DeepEqual(reports[0].Blocks, []ReportBlock{k2}) {
		t.Fatalf("parsed %+v, %v; want the block back", reports, err)
	}
	rs := RTCPStats{Reports: 1, Last: reports[0].Blocks[0]}
	rs.reading(seq0, 8000)
	st := y.s.Stats()
	if rs.Lost != st.Lost || rs.Loss != st.Loss {
		t.Errorf("RTCP loss %d (%.4f), receiver's %d (%.4f)", rs.Lost, rs.Loss, st.Lost, st.Loss)
	}
	if d := st.Jitter - rs.Jitter; d < 0 || d >= time.Second/8000 {
		t.Errorf("RTCP jitter %v, receiver's %v", rs.Jitter, st.Jitter)
	}
}

// A duplicate makes the cumulative count negative, which the 24-bit field
// carries signed; a stream with nothing received has no block.
func TestReportBlockDuplicatesAndNothing(t *testing.T) {
	y := newSynth(0)
	if _, ok := y.s.ReportBlock(); ok {
		t.Fatal("a block before anything arrived")
	}
	y.add(0, time.Millisecond)
	y.add(1, time.Millisecond)
	y.add(1, time.Millisecond)
	k, _ := y.s.ReportBlock()
	if k.CumulativeLost != -1 || k.FractionLost != 0 {
		t.Fatalf("block %+v, want cumulative lost -1, fraction 0", k)
	}
	r, err := ParseRTCP(MarshalRTCP(nil, Report{SSRC: 1, Blocks: []ReportBlock{k}}, "x"))
	if err != nil || r[0].Blocks[0].CumulativeLost != -1 || r[0].Sender != nil {
		t.Fatalf("parsed %+v, %v", r, err)
	}
}

// RFC 3550 6.4.1: RTT = arrival - LSR - DLSR, in 1/65536 s.
func TestRoundTrip(t *testing.T) {
	sent := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	k := ReportBlock{LSR: ntpMiddle(NTPTime(sent)), DLSR: 65536 / 2} // held 500 ms
	rtt, ok := RoundTrip(k, sent.Add(600*time.Millisecond))
	if !ok || rtt < 100*time.Millisecond-30*time.Microsecond || rtt > 100*time.Millisecond+30*time.Microsecond {
		t.Fatalf("RTT %v %v, want 100 ms", rtt, ok)
	}
	if _, ok := RoundTrip(ReportBlock{}, sent); ok {
		t.Fatal("an RTT from a block that names no SR")
	}
	if got := NTPTime(time.Date(1900, 1, 1, 0, 0, 1, 500_000_000, time.UTC)); got != 1<<32|1<<31 {
		t.Fatalf("NTP time %#x", got)
	}
}

// rtcpPacket builds one RTCP packet by hand: header fields, then body.
func rtcpPacket(count int, pt byte, padding bool, body []byte) []byte {
	b := []byte{2<<6 | byte(count), pt, 0, 0}
	if padding {
		b[0] |= 0x20
	}
	binary.BigEndian.PutUint16(b[2:], uint16((4+len(body))/4-1))
	return append(b, body...)
}

func TestParseRTCPCompound(t *testing.T) {
	rr := MarshalRTCP(nil, Report{SSRC: 3, Blocks: []ReportBlock{{SSRC: 4, HighestSeq: 9}}}, "a")
	bye := rtcpPacket(1, 203, false, []byte{0, 0, 0, 3})
	// A last packet padded to 8 more bytes (count in the last byte).
	app := rtcpPacket(0, 204, true, []byte{0, 0, 0, 3, 'n', 'a', 'm', 'e', 0, 0, 0, 0, 0, 0, 0, 8})
	r, err := ParseRTCP(bytes.Join([][]byte{rr, bye, app}, nil))
	if err != nil || len(r) != 1 || r[0].SSRC != 3 || len(r[0].Blocks) != 1 || r[0].Blocks[0].HighestSeq != 9 {
		t.Fatalf("parsed %+v, %v", r, err)
	}
}

func TestParseRTCPRejects(t *testing.T) {
	rr := MarshalRTCP(nil, Report{SSRC: 3, Blocks: []ReportBlock{{SSRC: 4}}}, "a")
	sdes := rr[4+4+reportBlockLen:]
	many := rtcpPacket(0, rtcpRR, false, []byte{0, 0, 0, 1})
	var tooMany []byte
	for range maxRTCPPackets + 1 {
		tooMany = append(tooMany, many...)
	}
	cases := map[string][]byte{
		"empty":                  nil,
		"short header":           {0x80, 201},
		"version 1":              append([]byte{1 << 6}, rr[1:]...),
		"SDES first":             sdes,
		"longer than datagram":   rr[:len(rr)-4],
		"trailing bytes":         append(append([]byte{}, rr...), 0x80, 0xc9),
		"count beyond body":      rtcpPacket(2, rtcpRR, false, make([]byte, 4+reportBlockLen)),
		"SR without sender info": rtcpPacket(0, rtcpSR, false, []byte{0, 0, 0, 1}),
		"padding not last":       append(rtcpPacket(0, rtcpRR, true, []byte{0, 0, 0, 4}), sdes...),
		"padding of zero":        rtcpPacket(0, rtcpRR, true, []byte{0, 0, 0, 1, 0, 0, 0, 0}),
		"padding past body":      rtcpPacket(0, rtcpRR, true, []byte{0, 0, 0, 1, 0, 0, 0, 9}),
		"too many packets":       tooMany,
	}
	for name, b := range cases {
		if r, err := ParseRTCP(b); err == nil {
			t.Errorf("%s: parsed %+v, want an error", name, r)
		}
	}
}

// FuzzParseRTCP: nothing a peer sends crashes the parser or makes it
// allocate beyond the bounds; what parses has at most the packets and
// blocks the bounds allow, and each report reads back the same after
// marshalling.
func FuzzParseRTCP(f *testing.F) {
	f.Add(MarshalRTCP(nil, Report{SSRC: 1}, "a"))
	f.Add(MarshalRTCP(nil, Report{SSRC: 1, Sender: &SenderInfo{NTP: 7}, Blocks: []ReportBlock{{SSRC: 2, CumulativeLost: -3, LSR: 4}}}, "phone"))
	f.Add(rtcpPacket(0, rtcpRR, true, []byte{0, 0, 0, 1, 0, 0, 0, 4}))
	f.Fuzz(func(t *testing.T, b []byte) {
		reports, err := ParseRTCP(b)
		if err != nil {
			return
		}
		if len(reports) > maxRTCPPackets {
			t.Fatalf("%d reports", len(reports))
		}
		for _, r := range reports {
			if len(r.Blocks) > 31 {
				t.Fatalf("%d blocks", len(r.Blocks))
			}
			back, err := ParseRTCP(MarshalRTCP(nil, r, "x"))
			if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], r) {
				t.Fatalf("report %+v read back as %+v, %v", r, back, err)
			}
		}
	})
}

// Two endpoints over loopback with RTCP every 100 ms: each learns from
// the other's reports that its stream arrived whole, with the receiver's
// own jitter and a round-trip time from its SRs.
func TestEndpointsExchangeRTCP(t *testing.T) {
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rtpA, rtpB, rtcpA, rtcpB := listen(), listen(), listen(), listen()
	addr := func(c *net.UDPConn) *net.UDPAddr { return c.LocalAddr().(*net.UDPAddr) }
	epoch := time.Now()
	a := NewEndpoint(rtpA, G711, epoch, time.Second)
	b := NewEndpoint(rtpB, G711, epoch, time.Second)
	defer a.Close()
	defer b.Close()
	a.StartRTCP(rtcpA, addr(rtcpB), 100*time.Millisecond)
	b.StartRTCP(rtcpB, addr(rtcpA), 100*time.Millisecond)
	peerB, peerA := addr(rtpB), addr(rtpA)
	done := make(chan Schedule)
	go func() { sc, _ := b.Send(t.Context(), peerA, time.Second); done <- sc }()
	sc, err := a.Send(t.Context(), peerB, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	time.Sleep(50 * time.Millisecond)
	if err := b.SendReport(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	r := a.RTCP()
	st := b.Stats()
	if r.Reports < 3 || r.Sent < 3 {
		t.Fatalf("a got %d reports about its stream and sent %d; want several", r.Reports, r.Sent)
	}
	if uint16(r.Last.HighestSeq) != sc.FirstSeq+uint16(sc.Count-1) || r.Lost != 0 || r.Loss != 0 || st.Received != sc.Count {
		t.Errorf("last report %+v (loss %v), b received %d of %d", r.Last, r.Loss, st.Received, sc.Count)
	}
	if d := st.Jitter - r.Jitter; d < 0 || d >= time.Second/8000 {
		t.Errorf("reported jitter %v, b's own %v", r.Jitter, st.Jitter)
	}
	if !r.HasRTT || r.RTT < -time.Millisecond || r.RTT > 50*time.Millisecond {
		t.Errorf("RTT %v (%v), want a small one on loopback", r.RTT, r.HasRTT)
	}
}
