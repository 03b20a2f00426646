package agi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// maxDrain bounds what is read after voipsdn has finished, while waiting
// for Asterisk to close (it sends HANGUP and closes at once).
const maxDrain = 64 << 10

// session is one FastAGI connection.
type session struct {
	s      *Server
	c      net.Conn
	r      *bufio.Reader
	hungUp bool
}

func (s *Server) serveConn(ctx context.Context, c net.Conn, peer netip.Addr) {
	s.st.sessions.Add(1)
	s.st.active.Add(1)
	defer s.st.active.Add(-1)
	ss := &session{s: s, c: c, r: NewReader(c)}
	log := s.log.With("peer", peer)
	if err := ss.run(ctx, peer); err != nil {
		s.st.protocolErrors.Add(1)
		log.Warn("fastagi session failed", "err", err)
		return
	}
	if ss.hungUp {
		s.st.hangups.Add(1)
	}
	ss.finish()
}

func (ss *session) run(ctx context.Context, peer netip.Addr) error {
	s := ss.s
	_ = ss.c.SetReadDeadline(time.Now().Add(s.opt.Timeout))
	env, hup, err := ReadEnv(ss.r)
	ss.hungUp = hup
	if err != nil {
		return fmt.Errorf("reading the agi_* environment: %w", err)
	}
	req, err := ParseRequest(env)
	if err != nil {
		return err
	}
	server := s.serverFor(peer, req.Server)
	linkedid := ""
	if req.Script == ScriptQoS && s.opt.Classifier.Known(req.Class) && server != "" {
		// The environment names the channel, not its call; the call's
		// Linkedid makes the event complete without a lookup.
		rep, err := ss.command("GET VARIABLE CHANNEL(linkedid)")
		if err != nil {
			return err
		}
		if rep.OK() && rep.HasData && len(rep.Data) <= maxID && !strings.ContainsAny(rep.Data, " \t") {
			linkedid = rep.Data
		}
	}
	result, ev := s.opt.Classifier.Decide(ctx, req, server, linkedid, time.Now())
	ss.count(result, ev != nil)
	if ev != nil && s.emit != nil {
		s.emit(*ev)
	}
	s.log.Info("fastagi classification", "server", server, "uniqueid", req.Uniqueid, "channel", req.Channel,
		"script", req.Script, "class", req.Class, "result", result)
	rep, err := ss.command("SET VARIABLE " + VarResult + " " + result)
	if err != nil {
		return err
	}
	if !rep.OK() {
		// 511: the channel is gone (or in an intercept routine); the
		// session still ends normally.
		s.log.Info("fastagi SET VARIABLE not applied", "uniqueid", req.Uniqueid, "code", rep.Code, "text", rep.Text)
	}
	return nil
}

func (ss *session) count(result string, classified bool) {
	st := &ss.s.st
	switch {
	case classified:
		st.classified.Add(1)
	case result == ResultUnknownClass:
		st.unknownClass.Add(1)
	case result == ResultUnknownScript:
		st.unknownScript.Add(1)
	case result == ResultUnknownServer:
		st.unknownServer.Add(1)
	case result == ResultRejected:
		st.rejected.Add(1)
	}
}

// command sends one AGI command and reads its answer, each within the
// timeout.
func (ss *session) command(cmd string) (Reply, error) {
	now := time.Now()
	_ = ss.c.SetWriteDeadline(now.Add(ss.s.opt.Timeout))
	if _, err := io.WriteString(ss.c, cmd+"\n"); err != nil {
		return Reply{}, fmt.Errorf("sending %q: %w", cmd, err)
	}
	_ = ss.c.SetReadDeadline(now.Add(ss.s.opt.Timeout))
	rep, hup, err := ReadReply(ss.r)
	ss.hungUp = ss.hungUp || hup
	if err != nil {
		return rep, fmt.Errorf("answer to %q: %w", cmd, err)
	}
	return rep, nil
}

// finish ends the session as an AGI script does: voipsdn closes its side
// (FIN), Asterisk answers with HANGUP (unless AGISIGHUP=no) and closes,
// and the dialplan goes on with AGISTATUS=SUCCESS. Whatever Asterisk
// still sends is read, within the timeout and a byte bound, so that the
// final close is not a reset.
func (ss *session) finish() {
	if cw, ok := ss.c.(interface{ CloseWrite() error }); ok {
		if cw.CloseWrite() == nil {
			_ = ss.c.SetReadDeadline(time.Now().Add(ss.s.opt.Timeout))
			_, _ = io.CopyN(io.Discard, ss.r, maxDrain)
		}
	}
}
