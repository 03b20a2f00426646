package ami

import (
	"context"
	"fmt"
	"strings"
)

// This file holds what lets other programs share a Client's session (the
// AMI gateway): a raw event tap, actions with a caller-chosen ActionID,
// and the server's greeting.

type tapFn struct{ f func(Message) }

// WithClientHook calls f with each Client that NewClient builds, before
// it runs: a program that does not construct the clients itself (they
// are built inside a service) can still reach them.
func WithClientHook(f func(*Client)) Option { return func(c *Client) { c.onClient = f } }

// Subscribe calls f with every event the server sends, event-list items
// excepted (those belong to the action that asked for them), on the
// socket reader's goroutine and before the event enters the bounded
// delivery queue. So f sees events even when the Handler falls behind,
// and f must never block: hand the message to a queue of your own and
// return. The Message's Fields must not be modified. The returned func
// removes the subscription.
func (c *Client) Subscribe(f func(Message)) (cancel func()) {
	t := &tapFn{f: f}
	c.tapMu.Lock()
	defer c.tapMu.Unlock()
	cur := c.taps.Load()
	var next []*tapFn
	if cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, t)
	c.taps.Store(&next)
	return func() {
		c.tapMu.Lock()
		defer c.tapMu.Unlock()
		cur := c.taps.Load()
		if cur == nil {
			return
		}
		var next []*tapFn
		for _, x := range *cur {
			if x != t {
				next = append(next, x)
			}
		}
		c.taps.Store(&next)
	}
}

// tap hands m to the subscribers.
func (c *Client) tap(m Message) {
	if ts := c.taps.Load(); ts != nil {
		for _, t := range *ts {
			t.f(m)
		}
	}
}

// Greeting returns the last greeting line the server sent
// ("Asterisk Call Manager/11.0.0"), "" before the first connection.
func (c *Client) Greeting() string { return c.greeting.Load().(string) }

// Forward sends a with the given ActionID and waits for its response,
// event lists included, as Action does. The caller keeps id unique among
// its pending actions and must not use the client's own prefix
// ("voipsdn-"). Unlike Action, an error response is returned without an
// error: the caller relays it as it is.
func (c *Client) Forward(ctx context.Context, a Action, id string) (Response, error) {
	if id == "" || strings.HasPrefix(id, c.idPrefix) {
		return Response{}, fmt.Errorf("ami %s: %s: ActionID %q is reserved", c.cfg.Name, a.Name, id)
	}
	c.mu.Lock()
	k := c.cur
	c.mu.Unlock()
	if k == nil {
		return Response{}, fmt.Errorf("ami %s: %s: %w", c.cfg.Name, a.Name, ErrNotConnected)
	}
	r, err := k.actionID(ctx, a, id)
	if _, isAE := err.(*ActionError); isAE {
		err = nil
	}
	return r, err
}
