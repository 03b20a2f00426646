package ami

import "strings"

// Route says where Correlator.Feed sent a message.
type Route int

// Routes.
const (
	// RouteEvent: an ordinary event for the event stream.
	RouteEvent Route = iota
	// RouteDone: the response for a pending ActionID is complete.
	RouteDone
	// RouteHeld: the message was absorbed into a pending event list.
	RouteHeld
	// RouteStray: a response nobody waits for (late, after a timeout).
	RouteStray
	// RouteOther: a greeting or an unclassifiable message.
	RouteOther
)

// Correlator matches responses and event-list items to the ActionIDs
// that asked for them. It is pure (no I/O, no clock) and not safe for
// concurrent use.
type Correlator struct {
	pending map[string]*Response
	listing map[string]bool
}

// NewCorrelator returns an empty Correlator.
func NewCorrelator() *Correlator {
	return &Correlator{pending: map[string]*Response{}, listing: map[string]bool{}}
}

// Expect registers an ActionID whose response is awaited.
func (c *Correlator) Expect(id string) { c.pending[id] = nil }

// Forget drops an ActionID (after a timeout); later messages for it
// become strays.
func (c *Correlator) Forget(id string) {
	delete(c.pending, id)
	delete(c.listing, id)
}

// Pending returns the number of ActionIDs awaited.
func (c *Correlator) Pending() int { return len(c.pending) }

// Feed routes one message. For RouteDone it returns the ActionID and the
// complete response.
func (c *Correlator) Feed(m Message) (Route, string, Response) {
	switch m.Kind() {
	case KindResponse:
		id := m.ActionID()
		if _, ok := c.pending[id]; !ok {
			return RouteStray, id, Response{}
		}
		if strings.EqualFold(m.Get("EventList"), "start") {
			c.pending[id] = &Response{Message: m}
			c.listing[id] = true
			return RouteHeld, id, Response{}
		}
		c.Forget(id)
		return RouteDone, id, Response{Message: m}
	case KindEvent:
		id := m.ActionID()
		if id == "" || !c.listing[id] {
			// OriginateResponse carries its action's ID but arrives
			// after the response: it is an ordinary event.
			return RouteEvent, id, Response{}
		}
		r := c.pending[id]
		if strings.EqualFold(m.Get("EventList"), "Complete") {
			r.Complete = m
			c.Forget(id)
			return RouteDone, id, *r
		}
		r.Events = append(r.Events, m)
		return RouteHeld, id, Response{}
	}
	return RouteOther, "", Response{}
}
