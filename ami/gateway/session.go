package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/voipsdn/voipsdn/ami"
)

// maxActionBytes bounds one client action.
const maxActionBytes = 64 << 10

// ListenAndServe listens on cfg.Listen (with TLS when configured) and
// serves until ctx ends.
func (g *Gateway) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", g.cfg.Listen)
	if err != nil {
		return fmt.Errorf("voip.gateway.listen: %w", err)
	}
	if g.cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(g.cfg.TLSCertFile, g.cfg.TLSKeyFile)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("voip.gateway: tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	return g.Serve(ctx, ln)
}

// Serve accepts AMI clients on ln until ctx ends, then closes every
// session and waits for their goroutines.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	g.log.Info("AMI gateway listening", "address", ln.Addr().String())
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer func() { stop(); _ = ln.Close(); wg.Wait() }()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Go(func() { g.serveConn(ctx, nc) })
	}
}

// amiSession is one AMI client connection.
type amiSession struct {
	g         *Gateway
	nc        net.Conn
	sub       *sub
	challenge string
	seq       uint64
}

// serveConn runs one client: this goroutine reads and runs its actions,
// one at a time; a second one writes its queue.
func (g *Gateway) serveConn(ctx context.Context, nc net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var once sync.Once
	kill := func() { once.Do(func() { _ = nc.Close() }) }
	stop := context.AfterFunc(ctx, kill)
	defer stop()
	defer kill()

	s := &amiSession{g: g, nc: nc}
	s.sub = &sub{id: g.seq.Add(1), out: make(chan item, g.cfg.ClientQueue), kill: kill, amiOn: true}
	writerDone, closing := make(chan struct{}), make(chan struct{})
	go func() { defer close(writerDone); s.writeLoop(closing) }()
	defer func() {
		if s.sub.pol != nil {
			g.unregister(s.sub)
		}
		// The writer sends what is queued (a Goodbye, an error), bounded
		// by the write timeout, then the connection closes.
		close(closing)
		<-writerDone
	}()

	// The greeting goes first, before anything can be queued.
	s.sub.out <- item{raw: []byte(g.greeting() + "\r\n")}
	rd := ami.NewReader(bufio.NewReader(nc), maxActionBytes)
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			return
		}
		if m.Kind() != ami.KindAction {
			s.reply(errorResponse(m.ActionID(), "Missing action in request"))
			continue
		}
		if !s.handle(ctx, ami.ActionFromMessage(m), m.ActionID()) {
			return
		}
	}
}

// reply queues a response; a full queue ends the session.
func (s *amiSession) reply(r ami.Response) bool {
	return s.g.offer(s.sub, item{resp: &r})
}

// handle runs one action and reports whether the session goes on.
func (s *amiSession) handle(ctx context.Context, a ami.Action, id string) bool {
	g := s.g
	switch strings.ToLower(a.Name) {
	case "challenge":
		if !strings.EqualFold(a.Get("AuthType"), "md5") {
			return s.reply(errorResponse(id, "Must specify AuthType"))
		}
		s.challenge = newChallenge()
		return s.reply(response(id, "Success", "Challenge", s.challenge))
	case "login":
		if s.sub.pol != nil {
			return s.reply(response(id, "Success", "Message", "Already authenticated"))
		}
		var p *policy
		if strings.EqualFold(a.Get("AuthType"), "md5") {
			if pp := g.users[strings.ToLower(a.Get("Username"))]; pp != nil && s.challenge != "" && !pp.user.Secret.IsZero() &&
				equalSecret(md5Key(s.challenge, pp.user.Secret.Reveal()), strings.ToLower(a.Get("Key"))) {
				p = pp
			}
		} else {
			p = g.authenticate(a.Get("Username"), a.Get("Secret"))
		}
		if p == nil {
			g.st.loginFailures.Add(1)
			g.log.Warn("gateway login refused", "username", a.Get("Username"), "remote", s.nc.RemoteAddr().String())
			s.reply(errorResponse(id, "Authentication failed"))
			return false // Asterisk closes after a failed login
		}
		s.sub.pol = p
		m := eventMask(a.Get("Events"))
		s.sub.mask.Store(&m)
		g.log.Info("gateway login", "user", p.user.Name, "session", s.sub.id, "remote", s.nc.RemoteAddr().String())
		// The response goes before the first event, as Asterisk sends it.
		ok := s.reply(response(id, "Success", "Message", "Authentication accepted"))
		g.register(s.sub)
		return ok
	case "logoff":
		s.reply(response(id, "Goodbye", "Message", "Thanks for all the fish."))
		return false
	}
	if s.sub.pol == nil {
		return s.reply(errorResponse(id, "Permission denied"))
	}
	switch strings.ToLower(a.Name) {
	case "events":
		m := eventMask(a.Get("EventMask"))
		s.sub.mask.Store(&m)
		v := "On"
		if m != nil && len(m) == 0 {
			v = "Off"
		}
		return s.reply(response(id, "Success", "Events", v))
	case "ping":
		// Answered here: it tests the client's link to the gateway, and
		// needs no PBX.
		return s.reply(response(id, "Success", "Ping", "Pong", "Timestamp", fmt.Sprintf("%.6f", float64(time.Now().UnixMicro())/1e6)))
	}
	s.seq++
	return s.reply(g.do(ctx, s.sub, s.seq, a, id))
}

func response(id, status string, kv ...string) ami.Response {
	m := ami.Message{Fields: []ami.Field{{Key: "Response", Value: status}}}
	if id != "" {
		m.Fields = append(m.Fields, ami.Field{Key: "ActionID", Value: id})
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Fields = append(m.Fields, ami.Field{Key: kv[i], Value: kv[i+1]})
	}
	return ami.Response{Message: m}
}

// writeLoop writes the session's queue; a write that blocks past the
// write timeout ends the session.
func (s *amiSession) writeLoop(closing <-chan struct{}) {
	bw := bufio.NewWriterSize(s.nc, 32<<10)
	var buf []byte
	for {
		var it item
		select {
		case it = <-s.sub.out:
		case <-closing:
			select {
			case it = <-s.sub.out:
			default:
				return
			}
		}
		for {
			buf = appendItem(buf[:0], it)
			_ = s.nc.SetWriteDeadline(time.Now().Add(s.g.cfg.WriteTimeout))
			if _, err := bw.Write(buf); err != nil {
				s.writeFailed(err)
				return
			}
			// Coalesce what is already queued into one write.
			select {
			case it = <-s.sub.out:
				continue
			default:
			}
			break
		}
		if err := bw.Flush(); err != nil {
			s.writeFailed(err)
			return
		}
	}
}

func (s *amiSession) writeFailed(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && s.sub.dead.CompareAndSwap(false, true) {
		s.g.st.slow.Add(1)
		s.g.log.Warn("gateway client too slow: write timed out, disconnecting", "session", s.sub.id)
	}
	s.sub.kill()
}

// appendItem renders an item in AMI wire form.
func appendItem(b []byte, it item) []byte {
	switch {
	case it.raw != nil:
		return append(b, it.raw...)
	case it.resp != nil:
		b = appendMessage(b, it.resp.Message, "")
		for _, e := range it.resp.Events {
			b = appendMessage(b, e, "")
		}
		if len(it.resp.Complete.Fields) > 0 {
			b = appendMessage(b, it.resp.Complete, "")
		}
		return b
	}
	m := it.msg
	if it.routed {
		m = withID(m, it.id)
	}
	return appendMessage(b, m, it.server)
}

// appendMessage writes m's fields, plus Server (as astmanproxy adds it)
// when server is set, and the blank line.
func appendMessage(b []byte, m ami.Message, server string) []byte {
	for _, f := range m.Fields {
		if f.Key == "" {
			continue
		}
		b = append(b, f.Key...)
		b = append(b, ": "...)
		b = append(b, f.Value...)
		b = append(b, "\r\n"...)
	}
	if server != "" {
		b = append(b, "Server: "...)
		b = append(b, server...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}
