package metrics

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// packetInBuckets are faucet_packet_in_secs's buckets (faucet_metrics.py).
var packetInBuckets = []float64{0.0001, 0.001, 0.01, 0.1, 1}

// Counters holds the event metrics: counters and histograms that the
// runtime bumps as things happen. The Python client appends _total to
// counter names; we spell it out.
type Counters struct {
	reloadRequests prometheus.Counter

	packetIns         *prometheus.CounterVec
	nonVLANPacketIns  *prometheus.CounterVec
	vlanPacketIns     *prometheus.CounterVec
	ignoredPacketIns  *prometheus.CounterVec
	unexpectPacketIns *prometheus.CounterVec
	flowMsgsSent      *prometheus.CounterVec
	errors            *prometheus.CounterVec
	connections       *prometheus.CounterVec
	disconnections    *prometheus.CounterVec
	reloadWarm        *prometheus.CounterVec
	reloadCold        *prometheus.CounterVec
	packetInSecs      *prometheus.HistogramVec

	// Session-layer timings, fed by Hook.
	queueWait   *prometheus.HistogramVec
	handlerSecs *prometheus.HistogramVec
	msgsSent    *prometheus.CounterVec
	bytesSent   *prometheus.CounterVec

	mu     sync.RWMutex
	byDPID map[uint64]*DPCounters // for Hook, which knows only the DP ID
}

// handlerEvents are the controller.TimingHook HandlerDone events.
var handlerEvents = []string{"connected", "port_status", "packet_in", "flow_removed", "error"}

// timingBuckets span 10 µs to 2.5 s.
var timingBuckets = prometheus.ExponentialBuckets(0.00001, 4, 10)

func dpCounter(name, help string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help},
		[]string{LabelDPID, LabelDPName})
}

// newCounters builds the event metrics and registers them on reg.
func newCounters(reg prometheus.Registerer) (*Counters, error) {
	c := &Counters{
		reloadRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "faucet_config_reload_requests_total",
			Help: "Number of config reload requests.",
		}),
		packetIns:         dpCounter("of_packet_ins_total", "Number of OF packet_ins received from DP."),
		nonVLANPacketIns:  dpCounter("of_non_vlan_packet_ins_total", "Number of OF packet_ins received from DP, not associated with a FAUCET VLAN."),
		vlanPacketIns:     dpCounter("of_vlan_packet_ins_total", "Number of OF packet_ins received from DP, associated with a FAUCET VLAN."),
		ignoredPacketIns:  dpCounter("of_ignored_packet_ins_total", "Number of OF packet_ins received but ignored from DP (due to rate limiting)."),
		unexpectPacketIns: dpCounter("of_unexpected_packet_ins_total", "Number of OF packet_ins received that are unexpected from DP (e.g. for unknown VLAN)."),
		flowMsgsSent:      dpCounter("of_flowmsgs_sent_total", "Number of OF flow messages (and packet outs) sent to DP."),
		errors:            dpCounter("of_errors_total", "Number of OF errors received from DP."),
		connections:       dpCounter("of_dp_connections_total", "Number of OF connections from a DP."),
		disconnections:    dpCounter("of_dp_disconnections_total", "Number of OF disconnections from a DP."),
		reloadWarm:        dpCounter("faucet_config_reload_warm_total", "Number of warm, differences only config reloads executed."),
		reloadCold:        dpCounter("faucet_config_reload_cold_total", "Number of cold, complete reprovision config reloads executed."),
		packetInSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "faucet_packet_in_secs",
			Help:    "FAUCET packet in processing time.",
			Buckets: packetInBuckets,
		}, []string{LabelDPID, LabelDPName}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "voipsdn_of_queue_wait_seconds",
			Help:    "Time a message or request waited for room in a switch's bounded send queue.",
			Buckets: timingBuckets,
		}, []string{LabelDPID, LabelDPName}),
		handlerSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "voipsdn_of_handler_seconds",
			Help:    "Time the controller took to handle one OpenFlow event from a switch, by event.",
			Buckets: timingBuckets,
		}, []string{LabelDPID, LabelDPName, "event"}),
		msgsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_of_messages_sent_total", Help: "OpenFlow messages of any type written to a switch.",
		}, []string{LabelDPID, LabelDPName}),
		bytesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_of_sent_bytes_total", Help: "Bytes of OpenFlow messages written to a switch.",
		}, []string{LabelDPID, LabelDPName}),
		byDPID: make(map[uint64]*DPCounters),
	}
	for _, col := range []prometheus.Collector{
		c.reloadRequests, c.packetIns, c.nonVLANPacketIns, c.vlanPacketIns,
		c.ignoredPacketIns, c.unexpectPacketIns, c.flowMsgsSent, c.errors,
		c.connections, c.disconnections, c.reloadWarm, c.reloadCold, c.packetInSecs,
		c.queueWait, c.handlerSecs, c.msgsSent, c.bytesSent,
	} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("metrics: register counters: %w", err)
		}
	}
	return c, nil
}

// ReloadRequested counts one config reload request (any DP, or none).
func (c *Counters) ReloadRequested() { c.reloadRequests.Inc() }

// DPCounters is one datapath's event metrics with the labels bound, so the
// packet path pays one atomic add per event. Fields are safe for
// concurrent use.
type DPCounters struct {
	PacketIns           prometheus.Counter // of_packet_ins_total
	NonVLANPacketIns    prometheus.Counter // of_non_vlan_packet_ins_total
	VLANPacketIns       prometheus.Counter // of_vlan_packet_ins_total
	IgnoredPacketIns    prometheus.Counter // of_ignored_packet_ins_total
	UnexpectedPacketIns prometheus.Counter // of_unexpected_packet_ins_total
	FlowMsgsSent        prometheus.Counter // of_flowmsgs_sent_total (flow mods and packet outs)
	Errors              prometheus.Counter // of_errors_total
	Connections         prometheus.Counter // of_dp_connections_total
	Disconnections      prometheus.Counter // of_dp_disconnections_total
	ReloadWarm          prometheus.Counter // faucet_config_reload_warm_total
	ReloadCold          prometheus.Counter // faucet_config_reload_cold_total
	PacketInSecs        prometheus.Observer

	// Fed by Hook.
	queueWait prometheus.Observer
	handler   map[string]prometheus.Observer
	msgs      prometheus.Counter
	bytes     prometheus.Counter
}

// DP returns the bound counters of one datapath. Like Faucet's reset_dpid,
// it makes every per-DP series exist (at 0) from the moment the DP is
// configured, so rate() and the dashboards see it before the first event.
// Call it when a DP is configured and keep the result; calling it again
// returns the same series.
func (c *Counters) DP(id uint64, name string) *DPCounters {
	l := []string{DPID(id), name}
	d := &DPCounters{
		PacketIns:           c.packetIns.WithLabelValues(l...),
		NonVLANPacketIns:    c.nonVLANPacketIns.WithLabelValues(l...),
		VLANPacketIns:       c.vlanPacketIns.WithLabelValues(l...),
		IgnoredPacketIns:    c.ignoredPacketIns.WithLabelValues(l...),
		UnexpectedPacketIns: c.unexpectPacketIns.WithLabelValues(l...),
		FlowMsgsSent:        c.flowMsgsSent.WithLabelValues(l...),
		Errors:              c.errors.WithLabelValues(l...),
		Connections:         c.connections.WithLabelValues(l...),
		Disconnections:      c.disconnections.WithLabelValues(l...),
		ReloadWarm:          c.reloadWarm.WithLabelValues(l...),
		ReloadCold:          c.reloadCold.WithLabelValues(l...),
		PacketInSecs:        c.packetInSecs.WithLabelValues(l...),
		queueWait:           c.queueWait.WithLabelValues(l...),
		handler:             make(map[string]prometheus.Observer, len(handlerEvents)),
		msgs:                c.msgsSent.WithLabelValues(l...),
		bytes:               c.bytesSent.WithLabelValues(l...),
	}
	for _, ev := range handlerEvents {
		d.handler[ev] = c.handlerSecs.WithLabelValues(DPID(id), name, ev)
	}
	c.mu.Lock()
	c.byDPID[id] = d
	c.mu.Unlock()
	return d
}

// lookup returns the bound counters of a configured DP.
func (c *Counters) lookup(id uint64) (*DPCounters, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.byDPID[id]
	return d, ok
}

// RemoveDP drops a datapath's series when it leaves the configuration.
func (c *Counters) RemoveDP(id uint64, name string) {
	l := []string{DPID(id), name}
	for _, v := range []*prometheus.CounterVec{
		c.packetIns, c.nonVLANPacketIns, c.vlanPacketIns, c.ignoredPacketIns,
		c.unexpectPacketIns, c.flowMsgsSent, c.errors, c.connections,
		c.disconnections, c.reloadWarm, c.reloadCold, c.msgsSent, c.bytesSent,
	} {
		v.DeleteLabelValues(l...)
	}
	c.packetInSecs.DeleteLabelValues(l...)
	c.queueWait.DeleteLabelValues(l...)
	c.handlerSecs.DeletePartialMatch(prometheus.Labels{LabelDPID: l[0], LabelDPName: name})
	c.mu.Lock()
	delete(c.byDPID, id)
	c.mu.Unlock()
}
