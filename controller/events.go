package controller

import (
	"sync"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// event is one switch event waiting for the session owner.
type event struct {
	portStatus  *of13.PortStatus
	packetIn    *of13.PacketIn
	flowRemoved *of13.FlowRemoved
	err         *OFError
}

// eventQueue passes events from the reader to the owner without ever
// blocking the reader: the queue is unbounded except for packet-ins, which
// are dropped beyond maxPacketIns (the switch keeps sending them under
// load, and a stale packet-in is worthless).
type eventQueue struct {
	mu           sync.Mutex
	items        []event
	packetIns    int
	maxPacketIns int
	ready        chan struct{} // capacity 1: "items is not empty"
}

func newEventQueue(maxPacketIns int) eventQueue {
	return eventQueue{maxPacketIns: maxPacketIns, ready: make(chan struct{}, 1)}
}

// push queues ev; it returns false if ev was a packet-in and was dropped.
func (q *eventQueue) push(ev event) bool {
	q.mu.Lock()
	if ev.packetIn != nil {
		if q.packetIns >= q.maxPacketIns {
			q.mu.Unlock()
			return false
		}
		q.packetIns++
	}
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// pop takes the oldest event.
func (q *eventQueue) pop() (event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return event{}, false
	}
	ev := q.items[0]
	q.items[0] = event{}
	q.items = q.items[1:]
	if ev.packetIn != nil {
		q.packetIns--
	}
	return ev, true
}
