package dp

import (
	"context"
	"github.com/voipsdn/voipsdn/controller"
	"github.com/voipsdn/voipsdn/qos"
	"log/slog"
	"net/netip"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Options configures a Manager. The zero value is usable.
type Options struct {
	// Logger receives the Manager's logs; nil discards them.
	Logger *slog.Logger
	// Clock drives learning and expiry; nil means the wall clock.
	Clock Clock
	// LearnPPS and ControlPPS are each DP's token-bucket rates (packets per
	// second) for learning packet-ins and for control-plane packet-ins
	// (ARP, ND, LLDP). Zero selects the default; negative means no limit.
	LearnPPS, ControlPPS float64
	// LearnBurst and ControlBurst are the buckets' depths; zero selects
	// the default.
	LearnBurst, ControlBurst int
	// QueueLen bounds each of a DP's two packet-in queues; zero selects
	// the default.
	QueueLen int
	// ExpireInterval is how often learned hosts are checked for expiry;
	// zero selects one second.
	ExpireInterval time.Duration
	// SyncTimeout bounds one reconciliation with a switch (read, send,
	// barrier); zero selects ten seconds.
	SyncTimeout time.Duration
	// SwitchUp, if set, is called after a switch has connected and been
	// reconciled, on the session's goroutine (the QoS service replays
	// per-call flows from there).
	SwitchUp func(ctx context.Context, dpid uint64)
	// HostLocated, if set, is called when an IP address is located (or
	// moves to another MAC), on the packet-in path: it must not block.
	// The per-call store places call legs that waited for the host at once.
	HostLocated func(ip netip.Addr)
	// FlowRemoved, if set, receives the switches' flow-removed reports
	// (learned hosts ignore them: they expire on the controller's clock).
	// The per-call store acts on those of per-call flows.
	FlowRemoved func(ctx context.Context, dpid uint64, fr *of13.FlowRemoved)
	// Events receives event counts; nil discards them.
	Events Events
	// LAGChanged, if set, receives Faucet's LAG_CHANGE events (a LACP
	// port's state or role changed) on the DP's goroutine; it must not
	// block. It is the hook for an event socket.
	LAGChanged func(LAGChange)
	// KeepCookies are the cookies of flows that another store of the
	// controller installs and removes itself (per-call voice flows): a
	// resync never deletes them, even before that store registers (a
	// registered store's share is kept anyway). Every other flow the DP
	// does not want is deleted, unless the DP's keep_foreign_flows is
	// set. Nil keeps the per-call cookies of package qos.
	KeepCookies []controller.CookieMask
}

// Defaults applied by New to zero Options fields.
const (
	DefaultLearnPPS     = 20000
	DefaultControlPPS   = 5000
	DefaultLearnBurst   = 2000
	DefaultControlBurst = 500
	DefaultQueueLen     = 4096
)

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.KeepCookies == nil {
		// Per-call flows are the voice service's: it adopts those of
		// live calls after a restart and removes the rest itself.
		o.KeepCookies = []controller.CookieMask{{Cookie: qos.CookieCategory, Mask: qos.CookieCategoryMask}}
	}
	if o.LearnPPS == 0 {
		o.LearnPPS = DefaultLearnPPS
	}
	if o.ControlPPS == 0 {
		o.ControlPPS = DefaultControlPPS
	}
	if o.LearnBurst == 0 {
		o.LearnBurst = DefaultLearnBurst
	}
	if o.ControlBurst == 0 {
		o.ControlBurst = DefaultControlBurst
	}
	if o.QueueLen == 0 {
		o.QueueLen = DefaultQueueLen
	}
	if o.ExpireInterval == 0 {
		o.ExpireInterval = time.Second
	}
	if o.Events == nil {
		o.Events = noEvents{}
	}
	if o.SyncTimeout == 0 {
		o.SyncTimeout = 10 * time.Second
	}
	return o
}
