package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/voipsdn/voipsdn/call"
)

// maxQueued bounds the variable requests waiting for a worker. Past it a
// request is dropped (its leg's media stays unknown until the next
// resync), so a flood of channels cannot grow the queue without end.
const maxQueued = 8192

// ErrAuth: the PBX refused the credentials (HTTP 401 or 403).
var ErrAuth = errors.New("ari: credentials refused")

// Source follows one PBX over ARI. It implements call.Source.
type Source struct {
	cfg    Config
	client *Client
	log    *slog.Logger
}

var _ call.Source = (*Source)(nil)

// NewSource checks cfg and returns a Source; nothing is connected before Run.
func NewSource(cfg Config) (*Source, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, log: cfg.Logger.With("pbx", cfg.Server, "source", "ari")}
	s.client = newClient(&s.cfg)
	return s, nil
}

// Name implements call.Source: "NAME/ari".
func (s *Source) Name() string { return s.cfg.Server + "/ari" }

// Server implements call.Source.
func (s *Source) Server() string { return s.cfg.Server }

// Run implements call.Source. A new Follower per Run: its view is rebuilt
// by the first resync. Run returns nil when ctx ends.
func (s *Source) Run(ctx context.Context, emit func(call.Event)) error {
	f := NewFollower(s.cfg.Follower)
	var sessionFails, connectFails int
	for ctx.Err() == nil {
		start := time.Now()
		opened, err := s.session(ctx, f, emit)
		if ctx.Err() != nil {
			break
		}
		if opened {
			// Events are lost until the next session's resync.
			emit(call.Unsynced{Header: call.Header{Server: s.cfg.Server, Time: time.Now()}})
		}
		var d time.Duration
		switch {
		case errors.Is(err, ErrAuth), opened && time.Since(start) < s.cfg.HealthyAfter:
			// A refused login or a session that fails soon after it
			// opened: slower and slower, so the PBX is not hammered.
			d = s.cfg.Backoff.Delay(sessionFails)
			sessionFails++
			connectFails = 0
		case opened:
			// A healthy session ended (the PBX restarted): back soon.
			sessionFails, connectFails = 0, 0
			d = s.cfg.ConnectBackoff.Delay(0)
		default:
			// Not reachable: a refused connection costs the PBX nothing;
			// retry about every second so it is followed as soon as it
			// is back.
			d = s.cfg.ConnectBackoff.Delay(connectFails)
			connectFails++
		}
		s.log.Warn("ari session ended", "err", err, "retry_in", d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	return nil
}

// eventsURL is the WebSocket URL: /ari/events?app=...&subscribeAll=...
// Credentials go in the Authorization header, never in the URL (api_key
// would end up in logs).
func (s *Source) eventsURL() string {
	q := url.Values{"app": {s.cfg.App}}
	if s.cfg.SubscribeAll {
		q.Set("subscribeAll", "true")
	}
	return s.client.endpoint("events", q)
}

type answer struct {
	r     Request
	value string
	err   error
}

// session runs one WebSocket connection: handshake, resync, then events
// and variable requests until the connection or ctx ends. opened reports
// whether the handshake succeeded.
func (s *Source) session(ctx context.Context, f *Follower, emit func(call.Event)) (opened bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	hdr := http.Header{}
	hdr.Set("Authorization", basicAuth(s.cfg.Username, s.cfg.Password.Reveal()))
	dctx, dcancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	conn, resp, err := websocket.Dial(dctx, s.eventsURL(), &websocket.DialOptions{HTTPHeader: hdr})
	dcancel()
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return false, fmt.Errorf("%w (HTTP %d)", ErrAuth, resp.StatusCode)
		}
		return false, fmt.Errorf("ari: events: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(MaxFrame)
	s.log.Info("ari events connected", "app", s.cfg.App, "subscribe_all", s.cfg.SubscribeAll)

	// The reader hands frames over one at a time; while the loop below is
	// busy (a resync), the WebSocket's flow control holds the PBX back.
	frames := make(chan []byte, 64)
	readErr := make(chan error, 1)
	wg.Go(func() {
		defer close(frames)
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				readErr <- err
				return
			}
			select {
			case frames <- data:
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
		}
	})

	emitAll := func(evs []call.Event) {
		for _, e := range evs {
			emit(e)
		}
	}
	gen := f.Seq()
	snap, err := s.snapshot(ctx, f)
	if err != nil {
		return true, fmt.Errorf("ari: resync: %w", err)
	}
	emitAll(f.Resync(snap, gen, time.Now()))

	reqs := make(chan Request)
	answers := make(chan answer)
	for range s.cfg.Workers {
		wg.Go(func() {
			for r := range reqs {
				v, err := s.client.Variable(ctx, r.Channel, r.Variable)
				select {
				case answers <- answer{r, v, err}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	defer close(reqs)

	var queue, delayed []Request
	var due []time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	dropped := 0
	enqueue := func(rs []Request) {
		now := time.Now()
		for _, r := range rs {
			if len(queue)+len(delayed) >= maxQueued {
				dropped++
				continue
			}
			if r.Delay > 0 {
				at := now.Add(r.Delay)
				i, _ := slices.BinarySearchFunc(due, at, time.Time.Compare)
				due = slices.Insert(due, i, at)
				r.Delay = 0
				delayed = slices.Insert(delayed, i, r)
				if i == 0 {
					timer.Reset(time.Until(at))
				}
				continue
			}
			queue = append(queue, r)
		}
		if dropped > 0 {
			s.log.Warn("ari variable requests dropped: queue full", "dropped", dropped)
			dropped = 0
		}
	}
	enqueue(f.TakeRequests())
	for {
		var send chan<- Request
		var next Request
		if len(queue) > 0 {
			send, next = reqs, queue[0]
		}
		select {
		case data, ok := <-frames:
			if !ok {
				return true, fmt.Errorf("ari: events: %w", <-readErr)
			}
			ev, err := Decode(data)
			if err != nil {
				// The frame is not logged: it is the PBX's, unbounded
				// in what it may hold.
				s.log.Warn("ari event not understood", "err", err, "bytes", len(data))
				continue
			}
			emitAll(f.Apply(ev, time.Now()))
			enqueue(f.TakeRequests())
		case send <- next:
			queue = queue[1:]
		case a := <-answers:
			emitAll(f.Answer(a.r, a.value, a.err, time.Now()))
			enqueue(f.TakeRequests())
		case <-timer.C:
			now := time.Now()
			for len(due) > 0 && !due[0].After(now) {
				queue = append(queue, delayed[0])
				due, delayed = due[1:], delayed[1:]
			}
			if len(due) > 0 {
				timer.Reset(time.Until(due[0]))
			}
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
}

// snapshot reads the channels and bridges, and the Linkedids of the
// channels f does not know.
func (s *Source) snapshot(ctx context.Context, f *Follower) (Snapshot, error) {
	chans, err := s.client.Channels(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	bridges, err := s.client.Bridges(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Channels: chans, Bridges: bridges, Linkedids: map[string]string{}}
	for _, ch := range chans {
		if f.Known(ch.ID) || ch.ID == "" {
			continue
		}
		id, err := s.client.Variable(ctx, ch.ID, VarLinkedid)
		if err != nil {
			if ctx.Err() != nil {
				return Snapshot{}, ctx.Err()
			}
			continue // gone meanwhile: its events will say so
		}
		if id = strings.TrimSpace(id); id != "" && len(id) <= maxID {
			snap.Linkedids[ch.ID] = id
		}
	}
	return snap, nil
}

func basicAuth(user, pw string) string {
	req := http.Request{Header: http.Header{}}
	req.SetBasicAuth(user, pw)
	return req.Header.Get("Authorization")
}
