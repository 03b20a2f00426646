package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// emu is one emulated switch: a TCP connection to the controller that
// answers its handshake and requests and sends packet-ins from new source
// MACs, timing each until the controller's first flow-mod for that MAC.
type emu struct {
	dpid   uint64
	ports  int
	vid    uint16
	window int
	// rate, when positive, makes the switch open-loop: it sends this
	// many packet-ins per second whatever the controller's answers, and
	// window no longer applies.
	rate    float64
	timeout time.Duration
	conn    net.Conn

	wmu sync.Mutex
	w   *bufio.Writer

	mu      sync.Mutex
	pending map[[6]byte]time.Time
	slots   chan struct{}
	ready   chan struct{}
	once    sync.Once
	// rng and dst belong to the sending goroutine.
	rng *rand.Rand
	dst [6]byte

	measuring atomic.Bool
	sent      atomic.Uint64
	answered  atomic.Uint64
	flowMods  atomic.Uint64
	expired   atomic.Uint64
	// lagMax is the longest the sender fell behind its schedule (rate
	// mode), in nanoseconds: how far the tool itself, not the
	// controller, could not keep up.
	lagMax atomic.Int64
	latMu  sync.Mutex
	lat    []time.Duration
}

func newEmu(conn net.Conn, dpid uint64, ports int, vid uint16, window int, rate float64, timeout time.Duration) *emu {
	return &emu{
		dpid: dpid, ports: ports, vid: vid, window: window, rate: rate, timeout: timeout, conn: conn,
		w:       bufio.NewWriterSize(conn, 64<<10),
		pending: map[[6]byte]time.Time{},
		slots:   make(chan struct{}, window),
		ready:   make(chan struct{}),
		rng:     rand.New(rand.NewPCG(dpid, uint64(time.Now().UnixNano()))),
		dst:     [6]byte{0x0e, 0, 0, 0, 0, 1},
	}
}

func (e *emu) write(typ uint8, xid uint32, body ...[]byte) error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	_, err := e.w.Write(appendMsg(nil, typ, xid, body...))
	if err == nil {
		err = e.w.Flush()
	}
	return err
}

// read answers the controller until the connection ends, returning why.
func (e *emu) read() error {
	r := bufio.NewReaderSize(e.conn, 64<<10)
	var buf []byte
	for {
		m, b, err := readMsg(r, buf)
		buf = b
		if err != nil {
			return err
		}
		switch m.typ {
		case typeEchoRequest:
			err = e.write(typeEchoReply, m.xid, m.body)
		case typeFeaturesReq:
			err = e.write(typeFeaturesReply, m.xid, featuresReply(e.dpid))
		case typeGetConfigReq:
			err = e.write(typeGetConfigRep, m.xid, []byte{0, 0, 0xff, 0xff})
		case typeMultipartReq:
			if len(m.body) >= 2 {
				err = e.write(typeMultipartRep, m.xid, multipartReply(binary.BigEndian.Uint16(m.body), e.ports, e.dpid))
			}
		case typeBarrierReq:
			err = e.write(typeBarrierReply, m.xid)
			e.once.Do(func() { close(e.ready) })
		case typeRoleRequest:
			err = e.write(typeRoleReply, m.xid, m.body)
		case typeGetAsyncReq:
			err = e.write(typeGetAsyncReply, m.xid, make([]byte, 24))
		case typeFlowMod:
			e.flowMod(m.body)
		case typeError:
			return fmt.Errorf("dp %#x: controller sent an error message", e.dpid)
		}
		if err != nil {
			return err
		}
	}
}

// flowMod matches a flow-mod to the outstanding packet-ins it answers.
func (e *emu) flowMod(body []byte) {
	if e.measuring.Load() {
		e.flowMods.Add(1)
	}
	now := time.Now()
	for _, mac := range flowModMACs(body) {
		e.mu.Lock()
		t, ok := e.pending[mac]
		if ok {
			delete(e.pending, mac)
		}
		e.mu.Unlock()
		if !ok {
			continue
		}
		if e.rate <= 0 {
			<-e.slots
		}
		if e.measuring.Load() {
			e.answered.Add(1)
			e.latMu.Lock()
			e.lat = append(e.lat, now.Sub(t))
			e.latMu.Unlock()
		}
	}
}

// send keeps up to window packet-ins outstanding until ctx ends. Packet-ins
// not answered within the timeout (dropped by a rate limit, or ignored by
// the controller) are given up and counted.
func (e *emu) send(ctx context.Context) error {
	if e.rate > 0 {
		return e.sendAtRate(ctx)
	}
	var xid uint32
	for ctx.Err() == nil {
		// Take a window slot; when none is free, push out what is
		// buffered and wait, so packet-ins leave in batches, as they
		// would from a busy switch.
		select {
		case e.slots <- struct{}{}:
		default:
			if err := e.flush(); err != nil {
				return err
			}
			select {
			case e.slots <- struct{}{}:
			case <-time.After(e.timeout / 4):
				e.reclaim()
				continue
			case <-ctx.Done():
				return nil
			}
		}
		xid++
		if err := e.packetIn(xid); err != nil {
			return err
		}
	}
	return nil
}

// sendAtRate sends packet-ins on a fixed schedule until ctx ends, whether
// or not the controller keeps up (open loop, so a slow controller cannot
// slow the load and hide its own latency). Each packet is timed from when
// it is written; a sender that falls behind its schedule catches up in a
// burst and records by how much it was late.
func (e *emu) sendAtRate(ctx context.Context) error {
	interval := time.Duration(float64(time.Second) / e.rate)
	start := time.Now()
	lastReclaim := start
	var xid uint32
	for ctx.Err() == nil {
		now := time.Now()
		due := uint32(now.Sub(start) / interval)
		if due > xid {
			if lag := now.Sub(start.Add(time.Duration(xid+1) * interval)); int64(lag) > e.lagMax.Load() && e.measuring.Load() {
				e.lagMax.Store(int64(lag))
			}
			for ; xid < due; xid++ {
				if err := e.packetIn(xid + 1); err != nil {
					return err
				}
			}
			if err := e.flush(); err != nil {
				return err
			}
		}
		if now.Sub(lastReclaim) > e.timeout/4 {
			e.reclaim()
			lastReclaim = now
		}
		// Sleep until the next packet is due. The timer's slack adds
		// to the tool's lag, not to the measured latency, since each
		// packet is timed when it is written.
		if wait := time.Until(start.Add(time.Duration(xid+1) * interval)); wait > 0 {
			time.Sleep(wait)
		}
	}
	return nil
}

// packetIn buffers a packet-in from a new random source MAC on a random
// port, and marks it outstanding.
func (e *emu) packetIn(xid uint32) error {
	var src [6]byte
	v := e.rng.Uint64()
	binary.BigEndian.PutUint32(src[2:], uint32(v))
	src[0], src[1] = 0x02, byte(v>>32)
	port := uint32(1 + e.rng.IntN(e.ports))
	e.mu.Lock()
	e.pending[src] = time.Now()
	e.mu.Unlock()
	if err := e.buffer(typePacketIn, xid, packetIn(port, e.vid, src, e.dst)); err != nil {
		return err
	}
	if e.measuring.Load() {
		e.sent.Add(1)
	}
	return nil
}

// buffer queues a message without flushing it.
func (e *emu) buffer(typ uint8, xid uint32, body ...[]byte) error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	_, err := e.w.Write(appendMsg(nil, typ, xid, body...))
	return err
}

// flush writes out buffered messages.
func (e *emu) flush() error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	return e.w.Flush()
}

// reclaim gives up on packet-ins outstanding for longer than the timeout.
func (e *emu) reclaim() {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for mac, t := range e.pending {
		if now.Sub(t) > e.timeout {
			delete(e.pending, mac)
			if e.rate <= 0 {
				<-e.slots
			}
			if e.measuring.Load() {
				e.expired.Add(1)
			}
		}
	}
}
