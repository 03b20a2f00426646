package ovslab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// ListenPacket is net.ListenPacket inside the host's namespace.
func (h *Host) ListenPacket(network, addr string) (net.PacketConn, error) {
	var c net.PacketConn
	err := h.Do(func() (err error) {
		c, err = net.ListenPacket(network, addr)
		return err
	})
	return c, err
}

// Listen is net.Listen (TCP) inside the host's namespace.
func (h *Host) Listen(network, addr string) (net.Listener, error) {
	var ln net.Listener
	err := h.Do(func() (err error) {
		ln, err = net.Listen(network, addr)
		return err
	})
	return ln, err
}

// ListenUDP listens on addr (":5004", "10.0.0.2:5004") in the host.
func (h *Host) ListenUDP(addr string) (*net.UDPConn, error) {
	c, err := h.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}

// DialUDP opens a UDP socket in the host bound to local port srcPort (0 =
// any) and connected to dst ("10.0.0.2:5004", "[fc00::2]:5004").
func (h *Host) DialUDP(srcPort int, dst string) (*net.UDPConn, error) {
	raddr, err := net.ResolveUDPAddr("udp", dst)
	if err != nil {
		return nil, fmt.Errorf("ovslab: %w", err)
	}
	var c *net.UDPConn
	err = h.Do(func() (err error) {
		c, err = net.DialUDP("udp", &net.UDPAddr{Port: srcPort}, raddr)
		return err
	})
	return c, err
}

// DialContext is a net.Dialer's DialContext inside the host's namespace.
// The socket is created in the namespace; the connect completes outside Do.
func (h *Host) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := h.Do(func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// Stream describes a paced UDP packet stream, by default an RTP-like G.711
// stream: 50 packets/s of 172 bytes (12-byte RTP header + 160 bytes audio).
type Stream struct {
	Dst      string        // "10.0.0.2:5004" or "[fc00::2]:5004"
	SrcPort  int           // 0 = any
	PPS      int           // packets per second, default 50
	Size     int           // UDP payload bytes, default 172, minimum 12
	Duration time.Duration // how long to send (default 1s) ...
	Count    int           // ... or how many packets, if > 0
	DSCP     uint8         // DSCP the sender sets itself (0 = best effort)
}

// StreamResult reports what SendUDPStream sent.
type StreamResult struct {
	Sent   int
	Errors int // send errors (e.g. ICMP unreachable reported on the socket)
}

// SendUDPStream sends s from the host and returns when it is done or ctx
// ends. Each payload starts with an RTP header (version 2, PT 0) carrying
// a sequence number, which Receiver uses to count loss.
func (h *Host) SendUDPStream(ctx context.Context, s Stream) (StreamResult, error) {
	s, n, err := s.normalise()
	if err != nil {
		return StreamResult{}, err
	}
	c, err := h.DialUDP(s.SrcPort, s.Dst)
	if err != nil {
		return StreamResult{}, err
	}
	defer c.Close()
	if s.DSCP != 0 {
		if err := setTOS(c, s.DSCP<<2); err != nil {
			return StreamResult{}, err
		}
	}
	return pace(ctx, s, n, func(b []byte) error { _, err := c.Write(b); return err })
}

// SendStream sends s from the receiver's own socket, the way an RTP
// endpoint sends and receives on one port (s.SrcPort is ignored: the
// source is the receiver's address). It returns when the stream is done.
func (r *Receiver) SendStream(ctx context.Context, s Stream) (StreamResult, error) {
	s, n, err := s.normalise()
	if err != nil {
		return StreamResult{}, err
	}
	dst, err := net.ResolveUDPAddr("udp", s.Dst)
	if err != nil {
		return StreamResult{}, fmt.Errorf("ovslab: stream to %s: %w", s.Dst, err)
	}
	if s.DSCP != 0 {
		if err := setTOS(r.conn, s.DSCP<<2); err != nil {
			return StreamResult{}, err
		}
	}
	return pace(ctx, s, n, func(b []byte) error { _, err := r.conn.WriteToUDP(b, dst); return err })
}

// normalise fills in defaults and returns how many packets to send.
func (s Stream) normalise() (Stream, int, error) {
	if s.PPS <= 0 {
		s.PPS = 50
	}
	if s.Size == 0 {
		s.Size = 172
	}
	if s.Size < 12 {
		return s, 0, fmt.Errorf("ovslab: stream size %d < 12", s.Size)
	}
	n := s.Count
	if n <= 0 {
		if s.Duration <= 0 {
			s.Duration = time.Second
		}
		n = int(s.Duration.Seconds() * float64(s.PPS))
	}
	return s, n, nil
}

// pace writes n RTP-like packets at s.PPS.
func pace(ctx context.Context, s Stream, n int, write func([]byte) error) (StreamResult, error) {
	var res StreamResult
	buf := make([]byte, s.Size)
	buf[0] = 0x80 // RTP v2, PT 0 (PCMU)
	ssrc := uint32(time.Now().UnixNano())
	binary.BigEndian.PutUint32(buf[8:], ssrc)
	interval := time.Second / time.Duration(s.PPS)
	start := time.Now()
	for i := range n {
		// Pace against the start time, not the previous packet, so
		// scheduling delays do not accumulate.
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(d):
			}
		} else if ctx.Err() != nil {
			return res, ctx.Err()
		}
		binary.BigEndian.PutUint16(buf[2:], uint16(i))
		binary.BigEndian.PutUint32(buf[4:], uint32(i*160))
		if err := write(buf); err != nil {
			res.Errors++
			continue
		}
		res.Sent++
	}
	return res, nil
}

func setTOS(c *net.UDPConn, tos uint8) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	v6 := false
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		v6 = true
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		if v6 {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, int(tos))
		} else {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, int(tos))
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("ovslab: set tos: %w", err)
	}
	return nil
}

// RecvStats summarises what a Receiver got.
type RecvStats struct {
	Packets int
	Bytes   int
	// First and Last are the arrival times of the first and last packet.
	First, Last time.Time
	// TOS counts packets by the full IPv4 TOS / IPv6 traffic class byte;
	// DSCP by its upper six bits.
	TOS  map[uint8]int
	DSCP map[uint8]int
	// Sources counts packets by sender address.
	Sources map[netip.AddrPort]int
	// Lost counts RTP sequence numbers skipped (per source, no wrap),
	// Reordered those that arrived below the highest seen.
	Lost, Reordered int
}

// Rate is the mean packet rate between the first and last packet.
func (s RecvStats) Rate() float64 {
	d := s.Last.Sub(s.First).Seconds()
	if s.Packets < 2 || d <= 0 {
		return 0
	}
	return float64(s.Packets-1) / d
}

// Receiver counts the UDP packets arriving at a port of a host, with the
// DSCP each arrived with (from IP_RECVTOS / IPV6_RECVTCLASS).
type Receiver struct {
	conn *net.UDPConn
	done chan struct{}

	mu      sync.Mutex
	stats   RecvStats
	lastSeq map[netip.AddrPort]int
	err     error
}

// ReceiveUDP starts a Receiver on addr (":5004" listens on IPv4 and IPv6).
// It is closed by Close or when the lab closes.
func (h *Host) ReceiveUDP(addr string) (*Receiver, error) {
	c, err := h.ListenUDP(addr)
	if err != nil {
		return nil, err
	}
	raw, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	var e4, e6 error
	_ = raw.Control(func(fd uintptr) {
		e4 = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVTOS, 1)
		e6 = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_RECVTCLASS, 1)
	})
	if e4 != nil && e6 != nil {
		c.Close()
		return nil, fmt.Errorf("ovslab: receiver %s: IP_RECVTOS: %v, IPV6_RECVTCLASS: %v", addr, e4, e6)
	}
	r := &Receiver{
		conn:    c,
		done:    make(chan struct{}),
		lastSeq: map[netip.AddrPort]int{},
		stats:   RecvStats{TOS: map[uint8]int{}, DSCP: map[uint8]int{}, Sources: map[netip.AddrPort]int{}},
	}
	go r.loop()
	h.lab.onClose(func() { r.Close() })
	return r, nil
}

// Addr is the local address the receiver listens on.
func (r *Receiver) Addr() net.Addr { return r.conn.LocalAddr() }

func (r *Receiver) loop() {
	defer close(r.done)
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for {
		n, oobn, _, from, err := r.conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
			}
			return
		}
		tos, _ := parseTOS(oob[:oobn])
		r.record(time.Now(), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), buf[:n], tos)
	}
}

func (r *Receiver) record(now time.Time, from netip.AddrPort, b []byte, tos uint8) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &r.stats
	if s.Packets == 0 {
		s.First = now
	}
	s.Last = now
	s.Packets++
	s.Bytes += len(b)
	s.TOS[tos]++
	s.DSCP[tos>>2]++
	s.Sources[from]++
	if len(b) >= 12 && b[0]>>6 == 2 {
		seq := int(binary.BigEndian.Uint16(b[2:]))
		last, seen := r.lastSeq[from]
		switch {
		case !seen:
			r.lastSeq[from] = seq
		case seq > last:
			s.Lost += seq - last - 1
			r.lastSeq[from] = seq
		default:
			s.Reordered++
			if s.Lost > 0 {
				s.Lost--
			}
		}
	}
}

// parseTOS extracts the TOS / traffic class from socket control messages.
func parseTOS(oob []byte) (uint8, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_TOS && len(m.Data) >= 1:
			return m.Data[0], true
		case m.Header.Level == syscall.IPPROTO_IPV6 && m.Header.Type == syscall.IPV6_TCLASS && len(m.Data) >= 4:
			return uint8(binary.NativeEndian.Uint32(m.Data)), true
		}
	}
	return 0, false
}

// Stats returns a snapshot of what arrived so far.
func (r *Receiver) Stats() RecvStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.TOS, s.DSCP, s.Sources = cloneMap(s.TOS), cloneMap(s.DSCP), cloneMap(s.Sources)
	return s
}

func cloneMap[K comparable](m map[K]int) map[K]int {
	c := make(map[K]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// WaitPackets waits until at least n packets arrived or ctx ends, and
// returns the stats either way (with ctx's error in the second case).
func (r *Receiver) WaitPackets(ctx context.Context, n int) (RecvStats, error) {
	for {
		s := r.Stats()
		if s.Packets >= n {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("ovslab: receiver %s: %d of %d packets: %w", r.Addr(), s.Packets, n, ctx.Err())
		case <-r.done:
			return r.Stats(), fmt.Errorf("ovslab: receiver %s closed after %d of %d packets", r.Addr(), s.Packets, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Close stops the receiver and returns the final stats.
func (r *Receiver) Close() (RecvStats, error) {
	err := r.conn.Close()
	<-r.done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	r.mu.Lock()
	if r.err != nil {
		err = r.err
	}
	r.mu.Unlock()
	return r.Stats(), err
}
