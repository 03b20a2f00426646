package ami

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one live connection: a socket, its reader goroutine and the
// table of actions waiting for responses.
type conn struct {
	c       *Client
	nc      net.Conn
	timeout time.Duration

	wmu  sync.Mutex // serialises writes
	wbuf []byte

	mu      sync.Mutex
	corr    *Correlator
	waiters map[string]chan Response

	greeting chan string
	done     chan struct{} // closed when the reader ends
	err      error         // why; set before done closes
	seq      atomic.Uint64
}

func newConn(c *Client, nc net.Conn) *conn {
	return &conn{
		c: c, nc: nc, timeout: c.cfg.ActionTimeout,
		corr: NewCorrelator(), waiters: map[string]chan Response{},
		greeting: make(chan string, 1), done: make(chan struct{}),
	}
}

// readLoop owns the socket's read side. It never blocks on consumers:
// responses go to buffered per-action channels, events to the bounded
// queue. It measures its own longest gap between reads.
//
// A panic while parsing or routing ends the connection with a PanicError,
// as a read error would: the session sees done close and reconnects.
func (k *conn) readLoop() {
	defer func() {
		if v := recover(); v != nil {
			perr := k.c.recovered(PanicReader, v)
			_ = k.nc.Close()
			select {
			case <-k.done: // the panic came after the reader's own end
			default:
				k.err = perr
				close(k.done)
			}
			k.failWaiters()
		}
	}()
	rd := NewReader(k.nc, k.c.cfg.MaxMessageBytes)
	st := &k.c.stats
	var lastGarbage uint64
	for {
		m, err := rd.ReadMessage()
		start := time.Now()
		if g := rd.Garbage; g != lastGarbage {
			st.garbage.Add(g - lastGarbage)
			lastGarbage = g
		}
		if err != nil {
			// done closes before the waiters fail, so that whoever sees
			// a failed action also finds the reader's error.
			k.err = fmt.Errorf("read: %w", err)
			close(k.done)
			k.failWaiters()
			return
		}
		k.dispatch(m, start)
		stall := time.Since(start)
		for {
			cur := st.maxStall.Load()
			if int64(stall) <= cur || st.maxStall.CompareAndSwap(cur, int64(stall)) {
				break
			}
		}
	}
}

func (k *conn) dispatch(m Message, now time.Time) {
	if m.Kind() == KindGreeting {
		k.c.greeting.Store(m.Greeting())
		select {
		case k.greeting <- m.Greeting():
		default:
		}
		return
	}
	k.mu.Lock()
	route, id, resp := k.corr.Feed(m)
	var ch chan Response
	if route == RouteDone {
		ch = k.waiters[id]
		delete(k.waiters, id)
	}
	k.mu.Unlock()
	switch route {
	case RouteDone:
		if ch != nil {
			ch <- resp // buffered, capacity 1
		}
	case RouteStray:
		k.c.stats.stray.Add(1)
	case RouteEvent:
		k.c.stats.received.Add(1)
		k.c.tap(m)
		if !k.c.q.push(Delivery{Server: k.c.cfg.Name, Kind: DeliveryEvent, Msg: m, Received: now}, false) {
			k.c.noteDrop()
		}
	}
}

func (k *conn) failWaiters() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, ch := range k.waiters {
		close(ch)
		delete(k.waiters, id)
		k.corr.Forget(id)
	}
}

// action sends a and waits for its response, the per-action timeout, the
// connection's end or ctx, whichever comes first.
func (k *conn) action(ctx context.Context, a Action) (Response, error) {
	return k.actionID(ctx, a, k.c.idPrefix+strconv.FormatUint(k.seq.Add(1), 10))
}

// actionID is action with the ActionID chosen by the caller, which must
// keep it unique among the actions pending on this connection.
func (k *conn) actionID(ctx context.Context, a Action, id string) (Response, error) {
	ch := make(chan Response, 1)
	k.mu.Lock()
	select {
	case <-k.done:
		k.mu.Unlock()
		return Response{}, ErrNotConnected
	default:
	}
	k.corr.Expect(id)
	k.waiters[id] = ch
	k.mu.Unlock()
	forget := func() {
		k.mu.Lock()
		k.corr.Forget(id)
		delete(k.waiters, id)
		k.mu.Unlock()
	}

	k.wmu.Lock()
	k.wbuf = a.AppendWire(k.wbuf[:0], id)
	_ = k.nc.SetWriteDeadline(time.Now().Add(k.timeout))
	_, err := k.nc.Write(k.wbuf)
	k.wmu.Unlock()
	if err != nil {
		forget()
		_ = k.nc.Close() // a half-written action leaves the stream unusable
		return Response{}, fmt.Errorf("ami: %s: write: %w", a.Name, err)
	}

	t := time.NewTimer(k.timeout)
	defer t.Stop()
	select {
	case r, ok := <-ch:
		return answered(a, r, ok)
	case <-t.C:
		forget()
		return Response{}, fmt.Errorf("ami: %s after %v: %w", a.Name, k.timeout, ErrTimeout)
	case <-k.done:
		// The response may have arrived just before the connection
		// closed (Authentication failed is followed by a close).
		select {
		case r, ok := <-ch:
			return answered(a, r, ok)
		default:
		}
		forget()
		return Response{}, fmt.Errorf("ami: %s: %w", a.Name, ErrNotConnected)
	case <-ctx.Done():
		forget()
		return Response{}, ctx.Err()
	}
}

// answered turns a delivered response into the action's result.
func answered(a Action, r Response, ok bool) (Response, error) {
	if !ok {
		return Response{}, fmt.Errorf("ami: %s: %w", a.Name, ErrNotConnected)
	}
	if err := r.Err(); err != nil {
		var ae *ActionError
		if errors.As(err, &ae) {
			ae.Action = a.Name
		}
		return r, err
	}
	return r, nil
}
