package ami

import "time"

// DeliveryKind says what a Delivery carries.
type DeliveryKind int

// Delivery kinds.
const (
	// DeliveryEvent carries one event in Msg.
	DeliveryEvent DeliveryKind = iota
	// DeliveryConnected: logged in (again); state may have changed while
	// disconnected, so consumers resynchronise now.
	DeliveryConnected
	// DeliveryDisconnected: the connection ended; Err says why.
	DeliveryDisconnected
	// DeliveryOverflow: Dropped events were lost because the consumer
	// fell behind; consumers should resynchronise.
	DeliveryOverflow
)

func (k DeliveryKind) String() string {
	switch k {
	case DeliveryEvent:
		return "event"
	case DeliveryConnected:
		return "connected"
	case DeliveryDisconnected:
		return "disconnected"
	case DeliveryOverflow:
		return "overflow"
	}
	return "unknown"
}

// Delivery is one item of a client's ordered event stream.
type Delivery struct {
	Server   string
	Kind     DeliveryKind
	Msg      Message
	Err      error
	Dropped  uint64
	Received time.Time
}

// Handler consumes a client's stream. It is called from one goroutine
// per client, in order. It may block: that only backs up the bounded
// queue, never the socket reader.
type Handler func(Delivery)
