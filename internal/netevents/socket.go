package netevents

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voipsdn/voipsdn/internal/eventbus"
)

// SocketQueue is how many records wait for the socket's client. Faucet
// keeps 120 and drops the oldest; this keeps more and drops the newest,
// counted: event_id shows the gap either way.
const SocketQueue = 4096

// Socket serves Faucet's event socket: voipsdn listens on a Unix socket
// (FAUCET_EVENT_SOCK) and writes one JSON record per line to the client
// connected to it, as Faucet's FaucetEventNotifier does (it is the server;
// its event adapters connect). One client at a time, as in Faucet: a
// second is closed at once.
type Socket struct {
	Path string
	Log  *slog.Logger
	sub  *eventbus.Subscription
	// WriteTimeout bounds one write to the client (default 5 s); a client
	// that blocks longer is disconnected and its records wait for the
	// next one.
	WriteTimeout time.Duration

	written, refused atomic.Uint64
}

// NewSocket subscribes to bus at once, so records published before Run
// (the first configuration's) wait for the first client, as Faucet's
// queue holds them.
func NewSocket(path string, bus *eventbus.Bus, log *slog.Logger) *Socket {
	return &Socket{Path: path, Log: log, sub: bus.Subscribe(SocketQueue, nil)}
}

// Run listens and serves until ctx ends (once: it ends the subscription); it removes a stale socket file
// first, as Faucet's check_path does, and the socket file at the end.
func (s *Socket) Run(ctx context.Context) error {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.WriteTimeout <= 0 {
		s.WriteTimeout = 5 * time.Second
	}
	path, err := filepath.Abs(s.Path)
	if err != nil {
		return fmt.Errorf("FAUCET_EVENT_SOCK: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("FAUCET_EVENT_SOCK: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("FAUCET_EVENT_SOCK: removing the old socket: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return fmt.Errorf("FAUCET_EVENT_SOCK: %w", err)
	}
	sub := s.sub
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer func() {
		stop()
		_ = ln.Close()
		wg.Wait()
		sub.Close()
		_ = os.Remove(path)
	}()
	s.Log.Info("faucet event socket listening", "path", path)
	busy := make(chan struct{}, 1)
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("FAUCET_EVENT_SOCK: %w", err)
		}
		select {
		case busy <- struct{}{}:
		default:
			s.refused.Add(1)
			s.Log.Info("multiple event clients not supported")
			_ = nc.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-busy }()
			s.serve(ctx, nc, sub.C)
		})
	}
}

// serve writes records to one client until it goes or ctx ends.
func (s *Socket) serve(ctx context.Context, nc net.Conn, recs <-chan eventbus.Record) {
	defer nc.Close()
	s.Log.Info("event client connected")
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	defer stop()
	// A client that closes is noticed by a read returning.
	gone := make(chan struct{})
	go func() { _, _ = nc.Read(make([]byte, 1)); close(gone) }()
	defer func() { _ = nc.Close(); <-gone }()
	bw := bufio.NewWriter(nc)
	enc := json.NewEncoder(bw) // Encode ends each record with "\n"
	enc.SetEscapeHTML(false)
	for {
		var r eventbus.Record
		var ok bool
		select {
		case r, ok = <-recs:
			if !ok {
				return
			}
		case <-gone:
			s.Log.Info("event client disconnected")
			return
		case <-ctx.Done():
			return
		}
		_ = nc.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
		if err := enc.Encode(r); err != nil {
			s.Log.Info("event client disconnected", "err", err)
			return
		}
		if len(recs) == 0 {
			if err := bw.Flush(); err != nil {
				s.Log.Info("event client disconnected", "err", err)
				return
			}
		}
		s.written.Add(1)
	}
}

// Written returns the records written to clients.
func (s *Socket) Written() uint64 { return s.written.Load() }
