package amisim

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// session is one client connection.
type session struct {
	s  *Server
	nc net.Conn

	mu        sync.Mutex
	out       [][]byte
	closing   bool // close once out is written
	loggedIn  bool
	mask      map[eventClass]bool // nil: all; empty: none
	challenge string
	signal    chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newSession(s *Server, nc net.Conn) *session {
	return &session{s: s, nc: nc, signal: make(chan struct{}, 1), done: make(chan struct{})}
}

func (c *session) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.nc.Close()
	})
}

// send queues b. Events of a client that fell too far behind drop it.
func (c *session) send(b []byte, isEvent bool) {
	c.mu.Lock()
	if len(c.out) >= c.s.opt.SessionQueue {
		c.mu.Unlock()
		c.s.dropped.Add(1)
		c.s.log.Warn("client too slow: queue full, dropping it", "remote", c.nc.RemoteAddr().String())
		c.close()
		return
	}
	c.out = append(c.out, b)
	c.mu.Unlock()
	if isEvent {
		c.s.sent.Add(1)
	}
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// finish queues b and closes the connection once it is written.
func (c *session) finish(b []byte) {
	c.send(b, false)
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
}

func (c *session) wants(class eventClass) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return false
	}
	return c.mask == nil || c.mask[class]
}

// setMask applies an Events value: on, off, or a class list.
func (c *session) setMask(v string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "on", "yes", "true", "all":
		c.mask = nil
		return true
	case "off", "no", "false":
		c.mask = map[eventClass]bool{}
		return false
	}
	c.mask = map[eventClass]bool{}
	for _, cl := range strings.Split(v, ",") {
		c.mask[eventClass(strings.TrimSpace(strings.ToLower(cl)))] = true
	}
	return len(c.mask) > 0
}

// run serves the connection until it closes or ctx ends.
func (c *session) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, c.close)
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writeLoop()
	}()
	c.send([]byte(Greeting+"\r\n"), false)
	rd := ami.NewReader(c.nc, 1<<20)
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			break
		}
		if m.Kind() != ami.KindAction {
			continue
		}
		c.s.handle(c, m)
	}
	c.close()
	wg.Wait()
}

// writeBatch bounds the bytes of one socket write.
const writeBatch = 256 << 10

// writeLoop writes queued messages in batches. A write blocked longer
// than WriteTimeout drops the client, as Asterisk does.
func (c *session) writeLoop() {
	var bufs net.Buffers
	for {
		// Take at most writeBatch bytes: Asterisk's writetimeout applies
		// per write, so one deadline must not cover an unbounded backlog.
		c.mu.Lock()
		n, size := 0, 0
		for n < len(c.out) && (n == 0 || size+len(c.out[n]) <= writeBatch) {
			size += len(c.out[n])
			n++
		}
		out := c.out[:n:n]
		c.out = c.out[n:]
		if len(c.out) == 0 {
			c.out = nil
		}
		closing := c.closing && len(c.out) == 0
		c.mu.Unlock()
		if len(out) > 0 {
			bufs = append(bufs[:0], out...)
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.opt.WriteTimeout))
			start := time.Now()
			_, err := bufs.WriteTo(c.nc)
			c.s.noteWrite(time.Since(start))
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					c.s.dropped.Add(1)
					c.s.log.Warn("client write blocked past writetimeout; dropping it", "remote", c.nc.RemoteAddr().String())
				}
				c.close()
				return
			}
			continue
		}
		if closing {
			c.close()
			return
		}
		select {
		case <-c.signal:
		case <-c.done:
			return
		}
	}
}
