// Package eventbus fans records out to subscribers without letting any
// of them slow the publisher: the controller's network events (Faucet's
// event records) and call events (VOIP_CALL) are published here once and
// read by the Faucet event socket and the gateway's SSE stream.
//
// Publish never blocks. Each subscriber has its own bounded channel; when
// it is full the record is dropped for that subscriber only and counted
// (Subscription.Dropped, Bus.Stats), and the others are not affected.
//
// Concurrency: all methods are safe for concurrent use. The bus starts no
// goroutines; a subscriber owns the goroutine that reads its channel.
package eventbus

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// Record is one event, in the shape of Faucet's event records: Faucet's
// header fields (dp_id, dp_name, time, event_id) plus one body named by
// Type ("L2_LEARN", "PORT_CHANGE", "VOIP_CALL", ...).
type Record struct {
	// ID is the bus's sequence number (Faucet's event_id), set by
	// Publish, starting at 1.
	ID     uint64
	Time   time.Time
	DPID   uint64
	DPName string
	// Server names the PBX of a call record ("" for network records).
	Server string
	Type   string
	// Body is the event's body, marshalled as JSON under the key Type.
	// Publishers hand it over: it is shared by every subscriber and must
	// not be modified after Publish.
	Body any
}

// Bus is a bounded fan-out. The zero value is not usable; use New.
type Bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
	seq  atomic.Uint64

	published, dropped atomic.Uint64
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscription is one subscriber's bounded queue.
type Subscription struct {
	// C delivers the records in publish order, with gaps where records
	// were dropped. It is closed by Close.
	C       <-chan Record
	c       chan Record
	bus     *Bus
	filter  func(Record) bool
	dropped atomic.Uint64
	once    sync.Once
}

// Subscribe adds a subscriber with room for buf records (at least 1).
// filter, if not nil, selects the records it gets (it runs on the
// publisher's goroutine and must be quick).
func (b *Bus) Subscribe(buf int, filter func(Record) bool) *Subscription {
	if buf < 1 {
		buf = 1
	}
	c := make(chan Record, buf)
	s := &Subscription{C: c, c: c, bus: b, filter: filter}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Dropped returns the records this subscriber lost to a full queue.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close removes the subscription and closes C. Safe to call twice.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		close(s.c) // under the lock: Publish never sends on a closed channel
		s.bus.mu.Unlock()
	})
}

// Publish stamps r with the next ID (and the time, if zero) and offers it
// to every subscriber without blocking. It returns the ID.
func (b *Bus) Publish(r Record) uint64 {
	r.ID = b.seq.Add(1)
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	b.published.Add(1)
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		if s.filter != nil && !s.filter(r) {
			continue
		}
		select {
		case s.c <- r:
		default:
			s.dropped.Add(1)
			b.dropped.Add(1)
		}
	}
	return r.ID
}

// Stats are the bus's counters.
type Stats struct {
	Published   uint64
	Dropped     uint64 // summed over subscribers
	Subscribers int
}

// Stats returns the counters.
func (b *Bus) Stats() Stats {
	b.mu.RLock()
	n := len(b.subs)
	b.mu.RUnlock()
	return Stats{Published: b.published.Load(), Dropped: b.dropped.Load(), Subscribers: n}
}

// MarshalJSON writes the record as Faucet writes one to its event socket
// (faucet/faucet_event.py, FaucetEventNotifier.notify): version, time
// (Unix seconds, fractional), dp_id, dp_name, event_id and the body under
// the event type's key.
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"version": 1, "time": float64(r.Time.UnixNano()) / 1e9, "dp_id": r.DPID, "dp_name": r.DPName,
		"event_id": r.ID, r.Type: r.Body,
	})
}
