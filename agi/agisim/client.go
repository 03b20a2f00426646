package agisim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// maxCommands bounds a session, so a server that never ends one cannot
// hold the simulator.
const maxCommands = 1000

// Transcript is what happened in one simulated session.
type Transcript struct {
	// Commands are the command lines the server sent, in order.
	Commands []string
	// Sent is every byte the simulator (Asterisk) wrote, environment
	// included.
	Sent []byte
	// ServerClosed: the server ended the session by closing its side
	// (the clean end); false when the connection broke or timed out.
	ServerClosed bool
	Model        *Model
}

// Run connects to a FastAGI server at addr and plays sc until the server
// closes its side, ctx ends or timeout passes without a command.
func Run(ctx context.Context, addr string, sc Scenario, timeout time.Duration) (*Transcript, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	return Play(c, sc, timeout)
}

// Play runs the session on an established connection.
func Play(c net.Conn, sc Scenario, timeout time.Duration) (*Transcript, error) {
	m := NewModel(sc)
	t := &Transcript{Model: m}
	write := func(s []byte) error {
		_ = c.SetWriteDeadline(time.Now().Add(timeout))
		t.Sent = append(t.Sent, s...)
		_, err := c.Write(s)
		return err
	}
	for _, w := range m.EnvWrites() {
		if err := write(w); err != nil {
			return t, fmt.Errorf("sending the environment: %w", err)
		}
	}
	r := bufio.NewReader(c)
	for range maxCommands {
		_ = c.SetReadDeadline(time.Now().Add(timeout))
		line, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			t.ServerClosed = true
			if s := m.Closed(); s != "" {
				_ = write([]byte(s)) // the server may already be gone
			}
			return t, nil
		}
		if err != nil {
			return t, err
		}
		cmd := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		t.Commands = append(t.Commands, cmd)
		if err := write([]byte(m.Answer(cmd))); err != nil {
			return t, err
		}
	}
	return t, fmt.Errorf("agisim: more than %d commands", maxCommands)
}
