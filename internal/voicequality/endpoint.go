package voicequality

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"
)

// Endpoint is one side of a call leg's media, as a phone or the PBX has it:
// a UDP socket that sends one RTP stream to its peer and measures the one
// that arrives, and, once StartRTCP is called, the RTCP beside it on the
// next port. Its receive loop runs from NewEndpoint until Close, its RTCP
// loops from StartRTCP until Close.
type Endpoint struct {
	conn  *net.UDPConn
	codec Codec
	ssrc  uint32 // of its RTP and RTCP, fixed for the endpoint's life

	mu     sync.Mutex
	rx     *Stream
	ef     int // packets that arrived with DSCP 46
	closed bool
	done   chan struct{}
	// What it sent, for its SRs: set by Send.
	tx sendState
	// RTCP, once started (endpoint_rtcp.go).
	rtcp     *net.UDPConn
	rtcpPeer *net.UDPAddr
	lastSR   uint32    // middle bits of the NTP time of the peer's last SR
	lastSRAt time.Time // when it arrived (zero: none yet)
	rtcpSt   RTCPStats
	stop     chan struct{}
	rtcpWG   sync.WaitGroup
}

// sendState is what the endpoint sent: the SR's sender info.
type sendState struct {
	started         bool
	start           time.Time
	firstSeq        uint16
	ts0             uint32
	packets, octets uint32
}

// NewEndpoint measures codec c on conn (time series from epoch, per
// interval). The endpoint owns conn from now on and receives on it until
// Close.
func NewEndpoint(conn *net.UDPConn, c Codec, epoch time.Time, interval time.Duration) *Endpoint {
	e := &Endpoint{conn: conn, codec: c, ssrc: rand.Uint32(), rx: NewStream(c, epoch, interval),
		done: make(chan struct{}), stop: make(chan struct{})}
	recvTOS(conn)
	go e.receive()
	return e
}

// receive records arrivals until the socket closes. Packets that are not
// this generator's RTP are ignored.
func (e *Endpoint) receive() {
	defer close(e.done)
	buf := make([]byte, 2048)
	oob := make([]byte, 64)
	for {
		n, oobn, _, _, err := e.conn.ReadMsgUDP(buf, oob)
		now := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ICMP unreachable reported on the socket
		}
		p, err := ParsePacket(buf[:n])
		if err != nil {
			continue
		}
		tos, _ := parseTOS(oob[:oobn])
		e.mu.Lock()
		e.rx.Add(p, now)
		if tos>>2 == 46 {
			e.ef++
		}
		e.mu.Unlock()
	}
}

// Send sends the codec's RTP to peer every packet time for d, on an
// absolute schedule so that a late wake-up does not shift later packets.
// It returns what it sent, for the peer's Expect.
func (e *Endpoint) Send(ctx context.Context, peer *net.UDPAddr, d time.Duration) (Schedule, error) {
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	ssrc := e.ssrc
	buf := make([]byte, 0, 2048)
	start := time.Now()
	n := int(d / e.codec.Ptime)
	sc := Schedule{Start: start, FirstSeq: seq}
	e.mu.Lock()
	e.tx = sendState{started: true, start: start, firstSeq: seq, ts0: ts}
	e.mu.Unlock()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range n {
		at := start.Add(time.Duration(i) * e.codec.Ptime)
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				sc.Count = i
				return sc, ctx.Err()
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			sc.Count = i
			return sc, ctx.Err()
		}
		// The RTP timestamp follows the schedule, the carried send time
		// the clock: a late send shows as delay, as a real phone's would.
		p := Packet{PayloadType: e.codec.PayloadType, Seq: seq + uint16(i),
			Timestamp: ts + uint32(i)*e.codec.samplesPerPacket(), SSRC: ssrc, Sent: time.Now()}
		buf = p.Marshal(buf, e.codec.PayloadBytes)
		// A full queue or an ICMP error reported on the socket loses
		// this packet, as the network would, but not the stream.
		if _, err := e.conn.WriteToUDP(buf, peer); errors.Is(err, net.ErrClosed) {
			sc.Count = i
			return sc, err
		}
		e.mu.Lock()
		e.tx.packets++
		e.tx.octets += uint32(len(buf) - rtpHeaderLen)
		e.mu.Unlock()
	}
	sc.Count = n
	return sc, nil
}

// Expect tells the endpoint what its peer sent (see Stream.Expect).
func (e *Endpoint) Expect(sc Schedule) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rx.Expect(sc)
}

// Stats summarises what arrived so far.
func (e *Endpoint) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.rx.Stats()
	st.EF = e.ef
	return st
}

// Series is the time series of what arrived so far.
func (e *Endpoint) Series() []Point {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rx.Series()
}

// Close closes the sockets and waits for the loops to end.
func (e *Endpoint) Close() {
	e.mu.Lock()
	already := e.closed
	e.closed = true
	rtcp := e.rtcp
	e.mu.Unlock()
	if already {
		return
	}
	close(e.stop)
	e.conn.Close() //nolint:errcheck // nothing to do about it
	if rtcp != nil {
		rtcp.Close() //nolint:errcheck // nothing to do about it
	}
	<-e.done
	e.rtcpWG.Wait()
}

// recvTOS asks the kernel for each datagram's TOS byte, so the receiver
// sees the DSCP the network left on it. Best effort: without it EF stays 0.
func recvTOS(c *net.UDPConn) {
	raw, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVTOS, 1)
	})
}

// parseTOS finds the IP_TOS control message.
func parseTOS(oob []byte) (uint8, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_TOS && len(m.Data) > 0 {
			return m.Data[0], true
		}
	}
	return 0, false
}
