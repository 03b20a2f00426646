package controller

import (
	"fmt"
	"net"
	"time"

	"github.com/voipsdn/voipsdn/controller/internal/wire"
)

// maxBatchChunks bounds how many chunks one writev carries.
const maxBatchChunks = 64

// warmChunks is how many written chunks' buffers a switch keeps for the
// next chunks.
const warmChunks = 2

// writeLoop writes queued chunks, coalescing whatever is queued into one
// writev, until the session ends.
func (s *Switch) writeLoop() {
	defer s.wg.Done()
	batch := make([]*chunk, 0, maxBatchChunks)
	bufs := make(net.Buffers, 0, maxBatchChunks+8)
	for {
		bufs, batch = bufs[:0], batch[:0]
		select {
		case <-s.ctx.Done():
			return
		case b := <-s.urgent:
			bufs = append(bufs, b)
		case c := <-s.queue:
			batch = append(batch, c)
		}
	more:
		for len(batch) < maxBatchChunks {
			select {
			case b := <-s.urgent:
				bufs = append(bufs, b)
			case c := <-s.queue:
				batch = append(batch, c)
			default:
				break more
			}
		}
		msgs, flowMods, n := len(bufs), 0, 0
		for _, b := range bufs {
			n += len(b)
		}
		for _, c := range batch {
			bufs = append(bufs, c.buf)
			msgs += c.msgs
			flowMods += c.flowMods
			n += len(c.buf)
		}
		start := time.Now()
		_, err := bufs.WriteTo(s.conn)
		for _, c := range batch {
			// A burst grows many chunks; keep the memory of a few
			// (s.spare) for the next writes and let the rest go.
			if cap(c.buf) > 0 {
				select {
				case s.spare <- c.buf[:0]:
				default:
				}
			}
			c.buf, c.msgs, c.flowMods = nil, 0, 0
			s.free <- c
		}
		if err != nil {
			s.fail(fmt.Errorf("write: %w", err))
			return
		}
		st := &s.srv.stats
		st.writes.Add(1)
		st.msgs.Add(uint64(msgs))
		st.flowMods.Add(uint64(flowMods))
		st.bytes.Add(uint64(n))
		s.srv.hook().BatchWritten(s.DPID(), msgs, n, time.Since(start))
	}
}

// keepalive sends an echo request whenever the switch has been quiet for
// an interval, and ends the session once it has been silent for the echo
// timeout.
func (s *Switch) keepalive(interval, timeout time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	var xid uint32
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			quiet := now.Sub(time.Unix(0, s.lastRecv.Load()))
			if quiet >= timeout {
				s.fail(fmt.Errorf("%w: nothing received for %s", ErrEchoTimeout, quiet.Round(time.Millisecond)))
				return
			}
			if quiet >= interval {
				xid++
				s.sendUrgent(wire.AppendSimple(nil, wire.TypeEchoRequest, 0xf0000000|xid&0xfffffff, nil))
			}
		}
	}
}
