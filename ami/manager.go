package ami

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Manager owns one Client per Asterisk server and runs them together.
// Every client delivers to the same Handler (Delivery.Server names the
// source); each client still calls it from its own goroutine, so the
// Handler must be safe for concurrent use when there are several servers.
type Manager struct {
	clients map[string]*Client
	names   []string
}

// NewManager builds one client per config. Names must be unique.
func NewManager(cfgs []ServerConfig, h Handler, opts ...Option) (*Manager, error) {
	if len(cfgs) == 0 {
		return nil, errNoConfig
	}
	m := &Manager{clients: map[string]*Client{}}
	for _, cfg := range cfgs {
		c, err := NewClient(cfg, h, opts...)
		if err != nil {
			return nil, err
		}
		if _, dup := m.clients[c.Name()]; dup {
			return nil, fmt.Errorf("voip.asterisk.%s: duplicate server name", c.Name())
		}
		m.clients[c.Name()] = c
		m.names = append(m.names, c.Name())
	}
	sort.Strings(m.names)
	return m, nil
}

// Run runs every client until ctx ends and waits for all of them.
func (m *Manager) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, n := range m.names {
		c := m.clients[n]
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Run(ctx)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// Client returns the client for a server name, or nil.
func (m *Manager) Client(name string) *Client { return m.clients[name] }

// Names returns the server names, sorted.
func (m *Manager) Names() []string { return append([]string(nil), m.names...) }

// Stats returns every client's counters, sorted by server name.
func (m *Manager) Stats() []Stats {
	out := make([]Stats, 0, len(m.names))
	for _, n := range m.names {
		out = append(out, m.clients[n].Stats())
	}
	return out
}
