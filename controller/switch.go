package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Switch is one connected switch's session. It is created by Server after
// the handshake and handed to Handler.Connected; it stays valid (but
// closed) after Disconnected.
type Switch struct {
	srv      *Server
	conn     net.Conn
	log      *slog.Logger
	features of13.Features

	ctx    context.Context // ends with the session
	cancel context.CancelCauseFunc

	track  *tracker
	sendMu sync.Mutex // one Send's messages stay contiguous and xids increase
	// role, roleGen and fenced are the write gate (role.go), under sendMu.
	role    Role
	roleGen uint64
	fenced  bool
	free    chan *chunk // bounded pool: the send queue's capacity
	// spare holds the buffers of the last written chunks (at most
	// warmChunks) for the next chunks taken, so that a chunk's buffer is
	// reused without every chunk of the pool keeping the one it grew in a
	// burst (64 chunks of 64 KiB per switch).
	spare  chan []byte
	queue  chan *chunk // filled chunks, in order, for the writer
	urgent chan []byte // echo requests and replies from the reader/keepalive

	portsMu sync.RWMutex
	ports   map[uint32]of13.Port

	events eventQueue
	// queuer, once set (after Connected is called), receives packet-ins
	// straight from the reader.
	queuer   atomic.Pointer[PacketInQueuer]
	lastRecv atomic.Int64 // unix nanos of the last message from the switch
	wg       sync.WaitGroup
	done     chan struct{} // closed after Disconnected returned
}

// chunk is a buffer of encoded messages on its way to the writer.
type chunk struct {
	buf      []byte
	msgs     int
	flowMods int
}

// chunkTarget is the size at which Send starts a new chunk.
const chunkTarget = 64 << 10

// DPID returns the switch's datapath id.
func (s *Switch) DPID() uint64 { return s.features.DatapathID }

// Features returns the switch's features reply.
func (s *Switch) Features() of13.Features { return s.features }

// RemoteAddr returns the switch's address.
func (s *Switch) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// Done is closed when the session has ended and Disconnected has returned.
func (s *Switch) Done() <-chan struct{} { return s.done }

// Close ends the session. It does not wait; see Done.
func (s *Switch) Close() { s.cancel(ErrClosed) }

// Ports returns the live port table, sorted by port number.
func (s *Switch) Ports() []of13.Port {
	s.portsMu.RLock()
	out := make([]of13.Port, 0, len(s.ports))
	for _, p := range s.ports {
		out = append(out, p)
	}
	s.portsMu.RUnlock()
	slices.SortFunc(out, func(a, b of13.Port) int { return int(int64(a.No) - int64(b.No)) })
	return out
}

// Port returns one port of the live port table.
func (s *Switch) Port(no uint32) (of13.Port, bool) {
	s.portsMu.RLock()
	defer s.portsMu.RUnlock()
	p, ok := s.ports[no]
	return p, ok
}

// closedErr is the error calls on an ended session return.
func (s *Switch) closedErr() error {
	return fmt.Errorf("dp %016x: %w", s.DPID(), context.Cause(s.ctx))
}

// getChunk takes an empty chunk from the pool, waiting while the switch
// is behind. Every take is timed, a zero wait too, so that the hook's
// histogram tells what share of sends waited at all.
func (s *Switch) getChunk(ctx context.Context) (*chunk, error) {
	select {
	case c := <-s.free:
		s.srv.hook().QueueWait(s.DPID(), 0)
		return s.warm(c), nil
	default:
	}
	start := time.Now()
	defer func() { s.srv.hook().QueueWait(s.DPID(), time.Since(start)) }()
	select {
	case c := <-s.free:
		return s.warm(c), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("dp %016x: send: %w", s.DPID(), ctx.Err())
	case <-s.ctx.Done():
		return nil, s.closedErr()
	}
}

// warm gives a chunk taken from the pool a spare buffer, if there is one.
func (s *Switch) warm(c *chunk) *chunk {
	select {
	case c.buf = <-s.spare:
	default:
	}
	return c
}

// Send queues msgs (*of13.FlowMod, *of13.MeterMod, *of13.GroupMod,
// *of13.PacketOut or values of them) to be written in order, in as few
// writes as possible. It returns once all are queued, not when the switch
// has applied them: follow with Barrier to learn that. It blocks while the
// send queue is full, until ctx ends; messages queued before that are still
// sent. Errors the switch reports for these messages are returned by the
// next Barrier and logged.
func (s *Switch) Send(ctx context.Context, msgs ...of13.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if err := s.writeGate(msgs); err != nil {
		return err
	}
	c, err := s.encode(ctx, msgs)
	if c != nil {
		s.queue <- c
	}
	return err
}

// encode appends msgs to chunks, queueing each full one, and returns the
// last, unqueued chunk (nil if none). Called with sendMu held.
func (s *Switch) encode(ctx context.Context, msgs []of13.Message) (*chunk, error) {
	var c *chunk
	for _, m := range msgs {
		if c == nil {
			var err error
			if c, err = s.getChunk(ctx); err != nil {
				return nil, err
			}
		}
		xid := s.track.record(m)
		var err error
		if c.buf, err = wire.AppendMessage(c.buf, xid, m); err != nil {
			return c, fmt.Errorf("dp %016x: %w", s.DPID(), err) // what was encoded before stays in order
		}
		c.msgs++
		if isFlowMod(m) {
			c.flowMods++
		}
		if len(c.buf) >= chunkTarget {
			s.queue <- c // never blocks: queue holds every chunk of the pool
			c = nil
		}
	}
	return c, nil
}

func isFlowMod(m of13.Message) bool {
	switch m.(type) {
	case *of13.FlowMod, of13.FlowMod:
		return true
	}
	return false
}

// request sends one request message and waits for its reply: a barrier
// reply, or every part of a multipart reply. encode appends the request.
func (s *Switch) request(ctx context.Context, w *waiter, encode func(b []byte, xid uint32) []byte) error {
	xid, err := s.startRequest(ctx, w, encode)
	if err != nil {
		return err
	}
	return s.awaitReply(ctx, w, xid)
}

// startRequest queues a request behind everything sent so far and
// registers w for its reply, without waiting for it.
func (s *Switch) startRequest(ctx context.Context, w *waiter, encode func(b []byte, xid uint32) []byte) (uint32, error) {
	w.done = make(chan struct{})
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	c, err := s.getChunk(ctx)
	if err != nil {
		return 0, err
	}
	xid, err := s.track.await(w)
	if err != nil {
		s.free <- c
		return 0, s.closedErr()
	}
	c.buf = encode(c.buf, xid)
	c.msgs++
	s.queue <- c
	return xid, nil
}

// awaitReply waits for the reply to the request startRequest sent as xid.
func (s *Switch) awaitReply(ctx context.Context, w *waiter, xid uint32) error {
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		s.track.forget(xid)
		return fmt.Errorf("dp %016x: %s: %w", s.DPID(), w.want, ctx.Err())
	}
}

// Barrier waits until the switch has processed everything sent before it
// and returns the first OpenFlow error (an *OFError) caused by a message
// sent since the previous barrier, so Send followed by a nil Barrier means
// the switch accepted the messages.
func (s *Switch) Barrier(ctx context.Context) error {
	wait, err := s.sendWithBarrier(ctx, nil, nil)
	if err != nil {
		return err
	}
	return wait(ctx)
}

// SendWithBarrier sends msgs followed by a barrier request and returns
// without waiting. done is called once with what Barrier would return: on
// the session's reader goroutine when the reply comes, or when the session
// ends; not at all when SendWithBarrier returns an error. It must not
// block, so it suits bookkeeping, not sending. Nobody waits for the reply,
// so no goroutine is woken for it: learning uses this to confirm its flows
// at packet-in rate. The barrier request also orders the switch's work: it
// finishes every earlier message before any later one.
func (s *Switch) SendWithBarrier(ctx context.Context, msgs []of13.Message, done func(error)) error {
	_, err := s.sendWithBarrier(ctx, msgs, done)
	return err
}

func (s *Switch) sendWithBarrier(ctx context.Context, msgs []of13.Message, notify func(error)) (wait func(context.Context) error, err error) {
	w := &waiter{want: wire.TypeBarrierReply, done: make(chan struct{}), notify: notify}
	s.sendMu.Lock()
	if err := s.writeGate(msgs); err != nil {
		s.sendMu.Unlock()
		return nil, err
	}
	c, err := s.encode(ctx, msgs)
	if err == nil && c == nil {
		c, err = s.getChunk(ctx)
	}
	var xid uint32
	if err == nil {
		if xid, err = s.track.await(w); err != nil {
			err = s.closedErr()
		} else {
			c.buf = wire.AppendSimple(c.buf, wire.TypeBarrierRequest, xid, nil)
			c.msgs++
		}
	}
	if c != nil {
		if c.msgs > 0 {
			s.queue <- c
		} else {
			s.free <- c
		}
	}
	s.sendMu.Unlock()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		if err := s.awaitReply(ctx, w, xid); err != nil {
			return err
		}
		if w.batchErr != nil {
			return w.batchErr
		}
		return nil
	}, nil
}

// SendAndConfirm sends msgs followed by a barrier and returns the first
// error the switch reported for them.
func (s *Switch) SendAndConfirm(ctx context.Context, msgs ...of13.Message) error {
	if err := s.Send(ctx, msgs...); err != nil {
		return err
	}
	return s.Barrier(ctx)
}
