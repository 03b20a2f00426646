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
//
// In window mode the reading goroutine sends the replacement for each
// answered packet-in itself, as cbench does: no goroutine hand-off between
// an answer and the next packet-in, and one write per burst of answers.
type emu struct {
	dpid   uint64
	ports  int
	vid    uint16
	window int
	// rate is positive in open-loop mode (sendAtRate sends for every
	// switch); the window then does not apply.
	rate    float64
	timeout time.Duration
	conn    net.Conn
	ready   chan struct{}
	once    sync.Once
	started atomic.Bool // window mode: the first window is out

	// wmu guards the writer, the pending packet-ins and the generator.
	wmu     sync.Mutex
	w       *bufio.Writer
	pending map[[6]byte]time.Time
	rng     *rand.Rand
	dst     [6]byte
	xid     uint32

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
		ready:   make(chan struct{}),
		rng:     rand.New(rand.NewPCG(dpid, uint64(time.Now().UnixNano()))),
		dst:     [6]byte{0x0e, 0, 0, 0, 0, 1},
	}
}

// write sends one message at once.
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
// Replies are buffered while more input is waiting and written together.
func (e *emu) read() error {
	r := bufio.NewReaderSize(e.conn, 64<<10)
	var buf, out []byte
	for {
		m, b, err := readMsg(r, buf)
		buf = b
		if err != nil {
			return err
		}
		switch m.typ {
		case typeEchoRequest:
			out = appendMsg(out, typeEchoReply, m.xid, m.body)
		case typeFeaturesReq:
			out = appendMsg(out, typeFeaturesReply, m.xid, featuresReply(e.dpid))
		case typeGetConfigReq:
			out = appendMsg(out, typeGetConfigRep, m.xid, []byte{0, 0, 0xff, 0xff})
		case typeMultipartReq:
			if len(m.body) >= 2 {
				out = appendMsg(out, typeMultipartRep, m.xid, multipartReply(binary.BigEndian.Uint16(m.body), e.ports, e.dpid))
			}
		case typeBarrierReq:
			out = appendMsg(out, typeBarrierReply, m.xid)
			e.once.Do(func() { close(e.ready) })
		case typeRoleRequest:
			out = appendMsg(out, typeRoleReply, m.xid, m.body)
		case typeGetAsyncReq:
			out = appendMsg(out, typeGetAsyncReply, m.xid, make([]byte, 24))
		case typeFlowMod:
			out = e.flowMod(m.body, out)
		case typeError:
			return fmt.Errorf("dp %#x: controller sent an error message", e.dpid)
		}
		if r.Buffered() == 0 && len(out) > 0 {
			if err := e.writeOut(out); err != nil {
				return err
			}
			out = out[:0]
		}
	}
}

// writeOut writes out, behind anything buffered, and flushes.
func (e *emu) writeOut(out []byte) error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if _, err := e.w.Write(out); err != nil {
		return err
	}
	return e.w.Flush()
}

// flowMod matches a flow-mod to the outstanding packet-ins it answers and,
// in window mode, appends their replacements to out.
func (e *emu) flowMod(body, out []byte) []byte {
	if e.measuring.Load() {
		e.flowMods.Add(1)
	}
	now := time.Now()
	for _, mac := range flowModMACs(body) {
		e.wmu.Lock()
		t, ok := e.pending[mac]
		if ok {
			delete(e.pending, mac)
			if e.rate <= 0 && e.started.Load() {
				out = e.appendPacketIn(out, now)
			}
		}
		e.wmu.Unlock()
		if ok && e.measuring.Load() {
			e.answered.Add(1)
			e.latMu.Lock()
			e.lat = append(e.lat, now.Sub(t))
			e.latMu.Unlock()
		}
	}
	return out
}

// send runs the switch's packet-ins in window mode until ctx ends: it
// sends the first window; the reader keeps it full, and packet-ins not
// answered within the timeout (dropped by a rate limit, or ignored by the
// controller) are given up, counted and replaced here.
func (e *emu) send(ctx context.Context) error {
	e.wmu.Lock()
	var out []byte
	for range e.window {
		out = e.appendPacketIn(out, time.Now())
	}
	e.started.Store(true)
	e.wmu.Unlock()
	if err := e.writeOut(out); err != nil {
		return err
	}
	t := time.NewTicker(e.timeout / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := e.reclaim(true); err != nil {
				return err
			}
		}
	}
}

// sendAtRate sends packet-ins on a fixed schedule until ctx ends, whether
// or not the controller keeps up (open loop, so a slow controller cannot
// slow the load and hide its own latency). One goroutine paces all the
// switches, taking turns, so there is one timer for the whole load. Each
// packet is timed from when it is written; a sender that falls behind its
// schedule catches up in a burst and records by how much it was late.
func sendAtRate(ctx context.Context, emus []*emu, rate float64) error {
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	lastReclaim := start
	var n uint64
	outs := make([][]byte, len(emus))
	for ctx.Err() == nil {
		now := time.Now()
		due := uint64(now.Sub(start) / interval)
		if due > n {
			lag := now.Sub(start.Add(time.Duration(n+1) * interval))
			for ; n < due; n++ {
				e := emus[n%uint64(len(emus))]
				e.wmu.Lock()
				outs[n%uint64(len(emus))] = e.appendPacketIn(outs[n%uint64(len(emus))], now)
				e.wmu.Unlock()
			}
			for i, e := range emus {
				if int64(lag) > e.lagMax.Load() && e.measuring.Load() {
					e.lagMax.Store(int64(lag))
				}
				if len(outs[i]) == 0 {
					continue
				}
				if err := e.writeOut(outs[i]); err != nil {
					return err
				}
				outs[i] = outs[i][:0]
			}
		}
		if now.Sub(lastReclaim) > emus[0].timeout/4 {
			for _, e := range emus {
				if err := e.reclaim(false); err != nil {
					return err
				}
			}
			lastReclaim = now
		}
		// Sleep until the next packet is due. Go's timers wake an idle
		// program up to a millisecond late, so packet-ins leave in
		// bursts of up to a millisecond's worth; the slack adds to the
		// tool's lag, not to the measured latency, since each packet is
		// timed when it is written.
		if wait := time.Until(start.Add(time.Duration(n+1) * interval)); wait > 0 {
			time.Sleep(wait)
		}
	}
	return nil
}

// appendPacketIn appends a packet-in from a new random source MAC on a
// random port to out and marks it outstanding since now. Called with wmu
// held.
func (e *emu) appendPacketIn(out []byte, now time.Time) []byte {
	var src [6]byte
	v := e.rng.Uint64()
	binary.BigEndian.PutUint32(src[2:], uint32(v))
	src[0], src[1] = 0x02, byte(v>>32)
	port := uint32(1 + e.rng.IntN(e.ports))
	e.pending[src] = now
	e.xid++
	if e.measuring.Load() {
		e.sent.Add(1)
	}
	return appendMsg(out, typePacketIn, e.xid, packetIn(port, e.vid, src, e.dst))
}

// reclaim gives up on packet-ins outstanding for longer than the timeout
// and, with replace, sends new ones in their place.
func (e *emu) reclaim(replace bool) error {
	now := time.Now()
	var out []byte
	e.wmu.Lock()
	for mac, t := range e.pending {
		if now.Sub(t) > e.timeout {
			delete(e.pending, mac)
			if e.measuring.Load() {
				e.expired.Add(1)
			}
			if replace {
				out = e.appendPacketIn(out, now)
			}
		}
	}
	e.wmu.Unlock()
	if len(out) == 0 {
		return nil
	}
	return e.writeOut(out)
}
