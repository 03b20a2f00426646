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
	dpid    uint64
	ports   int
	vid     uint16
	window  int
	timeout time.Duration
	conn    net.Conn

	wmu sync.Mutex
	w   *bufio.Writer

	mu      sync.Mutex
	pending map[[6]byte]time.Time
	slots   chan struct{}
	ready   chan struct{}
	once    sync.Once

	measuring atomic.Bool
	sent      atomic.Uint64
	answered  atomic.Uint64
	flowMods  atomic.Uint64
	expired   atomic.Uint64
	latMu     sync.Mutex
	lat       []time.Duration
}

func newEmu(conn net.Conn, dpid uint64, ports int, vid uint16, window int, timeout time.Duration) *emu {
	return &emu{
		dpid: dpid, ports: ports, vid: vid, window: window, timeout: timeout, conn: conn,
		w:       bufio.NewWriterSize(conn, 64<<10),
		pending: map[[6]byte]time.Time{},
		slots:   make(chan struct{}, window),
		ready:   make(chan struct{}),
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
		<-e.slots
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
	rng := rand.New(rand.NewPCG(e.dpid, uint64(time.Now().UnixNano())))
	dst := [6]byte{0x0e, 0, 0, 0, 0, 1}
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
		var src [6]byte
		v := rng.Uint64()
		binary.BigEndian.PutUint32(src[2:], uint32(v))
		src[0], src[1] = 0x02, byte(v>>32)
		port := uint32(1 + rng.IntN(e.ports))
		e.mu.Lock()
		e.pending[src] = time.Now()
		e.mu.Unlock()
		xid++
		if err := e.buffer(typePacketIn, xid, packetIn(port, e.vid, src, dst)); err != nil {
			return err
		}
		if e.measuring.Load() {
			e.sent.Add(1)
		}
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
			<-e.slots
			if e.measuring.Load() {
				e.expired.Add(1)
			}
		}
	}
}
