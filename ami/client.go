package ami

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Option configures a Client.
type Option func(*Client)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithBackoff sets the backoff after sessions that failed once connected:
// a refused login, or a session that ended before it was healthy.
func WithBackoff(b Backoff) Option { return func(c *Client) { c.backoff = b } }

// WithConnectBackoff sets the backoff after failed connection attempts.
func WithConnectBackoff(b Backoff) Option { return func(c *Client) { c.connectBackoff = b } }

// WithHealthyAfter sets how long a session must have been logged in for
// its end to reset the session backoff (default DefaultHealthyAfter).
func WithHealthyAfter(d time.Duration) Option { return func(c *Client) { c.healthyAfter = d } }

// Client keeps one logged-in connection to one Asterisk server and
// delivers its events, in order, to a Handler. Create it with NewClient
// and run it with Run; methods are safe for concurrent use.
type Client struct {
	cfg     ServerConfig
	handler Handler
	log     *slog.Logger
	backoff Backoff
	// connectBackoff paces failed dials; healthyAfter is the session
	// length that resets backoff.
	connectBackoff Backoff
	healthyAfter   time.Duration
	onPanic        func(server, component string)
	idPrefix       string
	onClient       func(*Client)
	q              *queue

	mu  sync.Mutex
	cur *conn // nil while disconnected

	stats     clientStats
	exitMu    sync.Mutex
	exits     map[string]uint64 // connection exit reasons
	lastDrop  atomic.Int64      // unix nanos of the last drop warning
	lastError atomic.Value      // string

	// taps see every event on the reader goroutine (see Subscribe);
	// greeting is the server's last greeting line.
	taps     atomic.Pointer[[]*tapFn]
	tapMu    sync.Mutex
	greeting atomic.Value // string
}

type clientStats struct {
	connects, disconnects, loginFailures atomic.Uint64
	received, delivered, dropped         atomic.Uint64
	garbage, stray, panics               atomic.Uint64
	maxStall                             atomic.Int64
	connected                            atomic.Bool
}

// Stats is a snapshot of a client's counters.
type Stats struct {
	Server          string
	Connected       bool
	Connects        uint64
	Disconnects     uint64
	LoginFailures   uint64
	EventsReceived  uint64
	EventsDelivered uint64
	EventsDropped   uint64
	QueueLen        int
	QueueMax        int
	GarbageLines    uint64
	StrayResponses  uint64
	// Panics counts bugs recovered at the client's goroutine boundaries;
	// each cost the connection.
	Panics uint64
	// MaxReaderStall is the longest time the socket reader spent between
	// finishing one message and reading the next.
	MaxReaderStall time.Duration
	LastError      string
	// Exits counts how connections ended, by ExitReason.
	Exits map[string]uint64
}

// ExitReason classifies why a connection ended, for logs and metrics:
// "dial", "auth", "login", "timeout", "too_large", "read" (the server
// closed or the network failed), "stopped" or "other".
func ExitReason(err error) string {
	switch {
	case err == nil:
		return "other"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "stopped"
	case errors.Is(err, ErrAuthFailed):
		return "auth"
	case errors.Is(err, ErrMessageTooLarge):
		return "too_large"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return "dial"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "login") || strings.Contains(msg, "challenge") || strings.Contains(msg, "greeting"):
		return "login"
	case strings.Contains(msg, "read:"):
		return "read"
	}
	return "other"
}

// NewClient resolves cfg (loading the secret) and returns a client that
// delivers to h. Nothing runs until Run.
func NewClient(cfg ServerConfig, h Handler, opts ...Option) (*Client, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = func(Delivery) {}
	}
	c := &Client{cfg: cfg, handler: h, backoff: DefaultBackoff(), connectBackoff: DefaultConnectBackoff(),
		healthyAfter: DefaultHealthyAfter, idPrefix: "voipsdn-", exits: map[string]uint64{}}
	for _, o := range opts {
		o(c)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "ami", "server", cfg.Name)
	c.q = newQueue(cfg.EventQueue, cfg.Name)
	c.lastError.Store("")
	c.greeting.Store("")
	if c.onClient != nil {
		c.onClient(c)
	}
	return c, nil
}

// Name returns the server's name.
func (c *Client) Name() string { return c.cfg.Name }

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	n, maxLen := c.q.stats()
	return Stats{
		Server:          c.cfg.Name,
		Connected:       c.stats.connected.Load(),
		Connects:        c.stats.connects.Load(),
		Disconnects:     c.stats.disconnects.Load(),
		LoginFailures:   c.stats.loginFailures.Load(),
		EventsReceived:  c.stats.received.Load(),
		EventsDelivered: c.stats.delivered.Load(),
		EventsDropped:   c.stats.dropped.Load(),
		QueueLen:        n,
		QueueMax:        maxLen,
		GarbageLines:    c.stats.garbage.Load(),
		StrayResponses:  c.stats.stray.Load(),
		Panics:          c.stats.panics.Load(),
		MaxReaderStall:  time.Duration(c.stats.maxStall.Load()),
		LastError:       c.lastError.Load().(string),
		Exits:           c.exitCounts(),
	}
}

func (c *Client) exitCounts() map[string]uint64 {
	c.exitMu.Lock()
	defer c.exitMu.Unlock()
	out := make(map[string]uint64, len(c.exits))
	for k, v := range c.exits {
		out[k] = v
	}
	return out
}

// noteDrop counts a dropped event and warns at most once a second.
func (c *Client) noteDrop() {
	n := c.stats.dropped.Add(1)
	now := time.Now().UnixNano()
	last := c.lastDrop.Load()
	if now-last > int64(time.Second) && c.lastDrop.CompareAndSwap(last, now) {
		c.log.Warn("event queue full: consumer too slow, events dropped", "dropped_total", n, "queue_limit", c.cfg.EventQueue)
	}
}

// Action sends a on the current connection and waits for its response.
// An error response (Response: Error) is returned as *ActionError together
// with the response; test it with errors.Is(err, ErrPermissionDenied) etc.
func (c *Client) Action(ctx context.Context, a Action) (Response, error) {
	c.mu.Lock()
	k := c.cur
	c.mu.Unlock()
	if k == nil {
		return Response{}, fmt.Errorf("ami %s: %s: %w", c.cfg.Name, a.Name, ErrNotConnected)
	}
	return k.action(ctx, a)
}

// SetEvents changes the session's event mask with the Events action
// ("on", "off" or classes such as "call,reporting").
func (c *Client) SetEvents(ctx context.Context, mask string) error {
	_, err := c.Action(ctx, NewAction("Events", "EventMask", mask))
	return err
}

// Run connects, logs in and delivers events until ctx ends, reconnecting
// with backoff. It returns ctx's error; every goroutine it started has
// ended by then.
func (c *Client) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() { // the delivery goroutine
		defer wg.Done()
		for {
			d, ok := c.q.pop(ctx)
			if !ok {
				return
			}
			if d.Kind == DeliveryEvent {
				c.stats.delivered.Add(1)
			}
			c.deliver(d)
		}
	}()

	// Two paces. Failed dials (the PBX is down or restarting) retry at a
	// low cap: reconnecting promptly when it is back matters, and a
	// refused connection costs it nothing. Sessions that fail once
	// connected (a refused login, a drop soon after login) back off up
	// to the session cap, and only a session that stayed up for
	// healthyAfter resets that.
	dials, failures := 0, 0
	for {
		connected, loggedInAt, err := c.safeSession(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			err = errors.New("connection ended")
		}
		var delay time.Duration
		attempt := 0
		if !connected {
			delay, attempt = c.connectBackoff.Delay(dials), dials
			dials++
		} else {
			dials = 0
			if !loggedInAt.IsZero() && time.Since(loggedInAt) >= c.healthyAfter {
				failures = 0
			}
			delay, attempt = c.backoff.Delay(failures), failures
			failures++
		}
		attempt++
		c.lastError.Store(err.Error())
		reason := ExitReason(err)
		c.exitMu.Lock()
		c.exits[reason]++
		c.exitMu.Unlock()
		level := slog.LevelWarn
		if errors.Is(err, ErrAuthFailed) {
			level = slog.LevelError
		}
		c.log.Log(ctx, level, "ami connection ended; retrying", "reason", reason, "err", err, "retry_in", delay.Round(time.Millisecond), "attempt", attempt)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// deliver hands one delivery to the handler. A panic there (a consumer's
// bug met with unexpected input) loses that delivery, so the connection is
// dropped: the reconnect's resync puts the consumer right again.
func (c *Client) deliver(d Delivery) {
	defer func() {
		if v := recover(); v != nil {
			c.recovered(PanicDelivery, v)
			c.mu.Lock()
			if k := c.cur; k != nil {
				_ = k.nc.Close()
			}
			c.mu.Unlock()
		}
	}()
	c.handler(d)
}

// safeSession is session with a recover: session's own deferred clean-up
// runs first, then the panic ends this connection like any error.
func (c *Client) safeSession(ctx context.Context) (connected bool, loggedInAt time.Time, err error) {
	defer func() {
		if v := recover(); v != nil {
			connected, loggedInAt, err = true, time.Time{}, c.recovered(PanicSession, v)
		}
	}()
	return c.session(ctx)
}

// session runs one connection from dial to its end. It reports whether
// the connection was made and, if the login succeeded, when.
func (c *Client) session(ctx context.Context) (connected bool, loggedInAt time.Time, err error) {
	nc, tcpUp, err := c.dial(ctx)
	if err != nil {
		// A failed TLS handshake reached the server: it paces like a
		// failed login, not like a refused connection.
		return tcpUp, time.Time{}, err
	}
	k := newConn(c, nc)
	go k.readLoop()
	// Closing the socket ends readLoop; wait for it so no goroutine
	// outlives the session.
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	live := false // DeliveryConnected was sent
	defer func() {
		stop()
		_ = nc.Close()
		<-k.done
		c.mu.Lock()
		c.cur = nil
		c.mu.Unlock()
		if live {
			c.stats.connected.Store(false)
			c.stats.disconnects.Add(1)
			c.q.push(Delivery{Server: c.cfg.Name, Kind: DeliveryDisconnected, Err: err, Received: time.Now()}, true)
		}
	}()

	t := time.NewTimer(c.cfg.ActionTimeout)
	select {
	case g := <-k.greeting:
		t.Stop()
		c.log.Debug("ami greeting", "greeting", g)
	case <-k.done:
		t.Stop()
		return true, time.Time{}, fmt.Errorf("ami %s: before greeting: %w", c.cfg.Name, k.err)
	case <-t.C:
		return true, time.Time{}, fmt.Errorf("ami %s: no greeting within %v", c.cfg.Name, c.cfg.ActionTimeout)
	}

	if err := c.login(ctx, k); err != nil {
		if errors.Is(err, ErrAuthFailed) {
			c.stats.loginFailures.Add(1)
		}
		return true, time.Time{}, err
	}
	for _, f := range c.cfg.EventFilter {
		if _, err := k.action(ctx, NewAction("Filter", "Operation", "Add", "Filter", f)); err != nil {
			return true, time.Time{}, fmt.Errorf("ami %s: filter %q: %w", c.cfg.Name, f, err)
		}
	}
	c.mu.Lock()
	c.cur = k
	c.mu.Unlock()
	c.stats.connects.Add(1)
	c.stats.connected.Store(true)
	c.log.Info("ami logged in", "address", c.cfg.Address(), "auth", c.cfg.Auth, "events", c.cfg.EventMask())
	c.q.push(Delivery{Server: c.cfg.Name, Kind: DeliveryConnected, Received: time.Now()}, true)
	live = true
	at := time.Now()
	return true, at, c.keepalive(ctx, k)
}

// keepalive pings until the connection or ctx ends.
func (c *Client) keepalive(ctx context.Context, k *conn) error {
	var tick <-chan time.Time
	if c.cfg.PingInterval > 0 {
		t := time.NewTicker(c.cfg.PingInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-k.done:
			return fmt.Errorf("ami %s: %w", c.cfg.Name, k.err)
		case <-tick:
			if _, err := k.action(ctx, NewAction("Ping")); err != nil {
				select {
				case <-k.done: // the reader's error is the real cause
					return fmt.Errorf("ami %s: %w", c.cfg.Name, k.err)
				default:
				}
				return fmt.Errorf("ami %s: keepalive: %w", c.cfg.Name, err)
			}
		}
	}
}

// login authenticates with MD5 challenge-response or a plain secret.
func (c *Client) login(ctx context.Context, k *conn) error {
	login := NewAction("Login", "Username", c.cfg.Username)
	if c.cfg.Auth == "md5" {
		r, err := k.action(ctx, NewAction("Challenge", "AuthType", "MD5"))
		if err != nil {
			return fmt.Errorf("ami %s: challenge: %w", c.cfg.Name, err)
		}
		ch := r.Get("Challenge")
		if ch == "" {
			return fmt.Errorf("ami %s: challenge: empty challenge", c.cfg.Name)
		}
		login.Fields = append(login.Fields, Field{"AuthType", "MD5"}, Field{"Key", MD5Key(ch, c.cfg.Secret)})
	} else {
		login.Fields = append(login.Fields, Field{"Secret", c.cfg.Secret.Reveal()})
	}
	login.Fields = append(login.Fields, Field{"Events", c.cfg.EventMask()})
	if _, err := k.action(ctx, login); err != nil {
		var ae *ActionError
		if errors.As(err, &ae) {
			return fmt.Errorf("ami %s: login as %s: %w: %s", c.cfg.Name, c.cfg.Username, ErrAuthFailed, ae.Message)
		}
		return fmt.Errorf("ami %s: login: %w", c.cfg.Name, err)
	}
	return nil
}

// MD5Key is the Login Key for a challenge: hex(md5(challenge + secret)).
func MD5Key(challenge string, s Secret) string {
	sum := md5.Sum([]byte(challenge + s.Reveal()))
	return hex.EncodeToString(sum[:])
}

// dial connects, with TLS if configured. tcpUp reports whether the TCP
// connection was made, even if the TLS handshake then failed.
func (c *Client) dial(ctx context.Context) (nc net.Conn, tcpUp bool, err error) {
	d := net.Dialer{Timeout: c.cfg.ActionTimeout, KeepAlive: 30 * time.Second}
	addr := c.cfg.Address()
	nc, err = d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, fmt.Errorf("ami %s: %w", c.cfg.Name, err)
	}
	if !c.cfg.TLS {
		return nc, true, nil
	}
	tc := &tls.Config{ServerName: c.cfg.Host, InsecureSkipVerify: c.cfg.TLSSkipVerify, MinVersion: tls.VersionTLS12}
	if c.cfg.TLSCAFile != "" {
		pem, err := os.ReadFile(c.cfg.TLSCAFile)
		if err != nil {
			_ = nc.Close()
			return nil, true, fmt.Errorf("ami %s: tls_ca_file: %w", c.cfg.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			_ = nc.Close()
			return nil, true, fmt.Errorf("ami %s: tls_ca_file %s: no certificates", c.cfg.Name, c.cfg.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	hctx, cancel := context.WithTimeout(ctx, c.cfg.ActionTimeout)
	defer cancel()
	conn := tls.Client(nc, tc)
	if err := conn.HandshakeContext(hctx); err != nil {
		_ = nc.Close()
		return nil, true, fmt.Errorf("ami %s: tls: %w", c.cfg.Name, err)
	}
	return conn, true, nil
}
