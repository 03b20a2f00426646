package voicequality

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Endpoint is one side of a call leg's media, as a phone or the PBX has it:
// a UDP socket that sends one RTP stream to its peer and measures the one
// that arrives. Its receive loop runs from NewEndpoint until Close.
type Endpoint struct {
	conn  *net.UDPConn
	codec Codec
	rx    *Stream

	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

// NewEndpoint measures codec c on conn (time series from epoch, per
// interval). The endpoint owns conn from now on and receives on it until
// Close.
func NewEndpoint(conn *net.UDPConn, c Codec, epoch time.Time, interval time.Duration) *Endpoint {
	e := &Endpoint{conn: conn, codec: c, rx: NewStream(c, epoch, interval), done: make(chan struct{})}
	go e.receive()
	return e
}

// receive records arrivals until the socket closes. Packets that are not
// this generator's RTP are ignored.
func (e *Endpoint) receive() {
	defer close(e.done)
	buf := make([]byte, 2048)
	for {
		n, err := e.conn.Read(buf)
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
		e.mu.Lock()
		e.rx.Add(p, now)
		e.mu.Unlock()
	}
}

// Send sends the codec's RTP to peer every packet time for d, on an
// absolute schedule so that a late wake-up does not shift later packets.
// It returns the number of packets sent.
func (e *Endpoint) Send(ctx context.Context, peer *net.UDPAddr, d time.Duration) (int, error) {
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	ssrc := rand.Uint32()
	buf := make([]byte, 0, 2048)
	start := time.Now()
	n := int(d / e.codec.Ptime)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range n {
		at := start.Add(time.Duration(i) * e.codec.Ptime)
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return i, ctx.Err()
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return i, ctx.Err()
		}
		// The RTP timestamp follows the schedule, the carried send time
		// the clock: a late send shows as delay, as a real phone's would.
		p := Packet{PayloadType: e.codec.PayloadType, Seq: seq + uint16(i),
			Timestamp: ts + uint32(i)*e.codec.samplesPerPacket(), SSRC: ssrc, Sent: time.Now()}
		buf = p.Marshal(buf, e.codec.PayloadBytes)
		// A full queue or an ICMP error reported on the socket loses
		// this packet, as the network would, but not the stream.
		if _, err := e.conn.WriteToUDP(buf, peer); errors.Is(err, net.ErrClosed) {
			return i, err
		}
	}
	return n, nil
}

// Stats summarises what arrived so far.
func (e *Endpoint) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rx.Stats()
}

// Series is the time series of what arrived so far.
func (e *Endpoint) Series() []Point {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rx.Series()
}

// Close closes the socket and waits for the receive loop to end.
func (e *Endpoint) Close() {
	e.mu.Lock()
	already := e.closed
	e.closed = true
	e.mu.Unlock()
	if already {
		return
	}
	e.conn.Close() //nolint:errcheck // nothing to do about it
	<-e.done
}
