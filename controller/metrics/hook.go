package metrics

import (
	"time"

	"github.com/voipsdn/voipsdn/controller"
)

// Hook implements controller.TimingHook over Counters: OpenFlow errors
// count into of_errors_total, packet-in handling time is observed as
// faucet_packet_in_secs, and the session layer's timings become
// voipsdn_of_queue_wait_seconds, voipsdn_of_handler_seconds{event},
// voipsdn_of_messages_sent_total and voipsdn_of_sent_bytes_total.
//
// With Hook installed as controller.Server.Hook, the runtime must not also
// count Errors or observe PacketInSecs itself. Events from a DP that
// Counters.DP has not bound (an unconfigured switch) are not counted.
type Hook struct {
	c *Counters
	// noPacketInSecs leaves faucet_packet_in_secs to the runtime.
	noPacketInSecs bool
}

// Hook returns the controller.TimingHook that feeds c.
func (c *Counters) Hook() Hook { return Hook{c: c} }

// SessionHook is Hook for a runtime that observes faucet_packet_in_secs
// itself (the DP manager times the whole packet-in, which the session layer
// only queues): everything else is the same.
func (c *Counters) SessionHook() Hook { return Hook{c: c, noPacketInSecs: true} }

var _ controller.TimingHook = Hook{}

// QueueWait records a send-queue wait.
func (h Hook) QueueWait(dpid uint64, d time.Duration) {
	if dp, ok := h.c.lookup(dpid); ok {
		dp.queueWait.Observe(d.Seconds())
	}
}

// BatchWritten counts the messages and bytes of one write.
func (h Hook) BatchWritten(dpid uint64, msgs, bytes int, _ time.Duration) {
	if dp, ok := h.c.lookup(dpid); ok {
		dp.msgs.Add(float64(msgs))
		dp.bytes.Add(float64(bytes))
	}
}

// OFError counts an error message from the switch.
func (h Hook) OFError(dpid uint64, _ *controller.OFError) {
	if dp, ok := h.c.lookup(dpid); ok {
		dp.Errors.Inc()
	}
}

// HandlerDone records how long a handler callback took.
func (h Hook) HandlerDone(dpid uint64, event string, d time.Duration) {
	dp, ok := h.c.lookup(dpid)
	if !ok {
		return
	}
	if o, ok := dp.handler[event]; ok {
		o.Observe(d.Seconds())
	}
	if event == "packet_in" && !h.noPacketInSecs {
		dp.PacketInSecs.Observe(d.Seconds())
	}
}
