package voicemetrics

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// AMIState is the value of voipsdn_ami_connection_state.
type AMIState int

// AMI connection states, in the order a connection goes through them.
const (
	AMIDisconnected AMIState = 0 // no TCP connection (waiting to retry)
	AMIConnecting   AMIState = 1 // TCP up, logging in
	AMIResyncing    AMIState = 2 // logged in, rebuilding call state
	AMILive         AMIState = 3 // following events
)

// MaxEventNames caps the distinct event label values per AMI server; later
// new names are counted as "other", so a misbehaving server cannot create
// unbounded series.
const MaxEventNames = 200

// Options configures New.
type Options struct {
	// Servers are the configured AMI server names; their series exist (at
	// zero, disconnected) from the start.
	Servers []string
	// FallbackReasons are the possible fallback reasons (qos.AllReasons);
	// each gets a zero series from the start, so rate() sees the first one.
	FallbackReasons []string
}

// VoiceMetrics holds the voice metrics. The zero value is not usable; call New.
type VoiceMetrics struct {
	callsActive    prometheus.Gauge
	callsQoS       prometheus.Gauge
	mediaFlows     prometheus.Gauge
	fallbacks      *prometheus.CounterVec
	amiState       *prometheus.GaugeVec
	amiEvents      *prometheus.CounterVec
	amiDropped     *prometheus.CounterVec
	installLatency prometheus.Histogram
	jitter         prometheus.Histogram
	loss           prometheus.Histogram
	rtt            prometheus.Histogram

	mu         sync.Mutex
	eventNames map[string]map[string]bool // server -> names seen
}

// New builds the voice metrics and registers them on reg.
func New(reg prometheus.Registerer, opts Options) (*VoiceMetrics, error) {
	m := &VoiceMetrics{
		callsActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "voipsdn_calls_active", Help: "Calls currently up, as tracked from AMI."}),
		callsQoS: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "voipsdn_calls_qos_active", Help: "Calls currently up whose media has per-call QoS flows installed."}),
		mediaFlows: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "voipsdn_media_flows_installed", Help: "Per-call media flows confirmed installed on switches."}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_qos_fallbacks_total", Help: "Call legs that proceeded best effort instead of with per-call QoS, by reason."},
			[]string{"reason"}),
		amiState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "voipsdn_ami_connection_state", Help: "AMI connection state: 0 disconnected, 1 logging in, 2 resynchronising, 3 live."},
			[]string{"server"}),
		amiEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_ami_events_total", Help: "AMI events received, by server and event name."},
			[]string{"server", "event"}),
		amiDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_ami_events_dropped_total", Help: "AMI events dropped because the consumer queue was full."},
			[]string{"server"}),
		installLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "voipsdn_qos_install_latency_seconds", Help: "Time from a call's media becoming known to the switch confirming its QoS flows (barrier reply).",
			Buckets: installLatencyBuckets}),
		jitter: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "voipsdn_rtcp_jitter_seconds", Help: "Interarrival jitter reported in RTCP reports.", Buckets: jitterBuckets}),
		loss: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "voipsdn_rtcp_loss_ratio", Help: "Fraction of RTP packets lost, as reported in RTCP reports.", Buckets: lossBuckets}),
		rtt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "voipsdn_rtcp_rtt_seconds", Help: "Round-trip time computed from RTCP reports.", Buckets: rttBuckets}),
		eventNames: make(map[string]map[string]bool),
	}
	for _, c := range []prometheus.Collector{
		m.callsActive, m.callsQoS, m.mediaFlows, m.fallbacks, m.amiState, m.amiEvents,
		m.amiDropped, m.installLatency, m.jitter, m.loss, m.rtt,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("voicemetrics: register: %w", err)
		}
	}
	for _, r := range opts.FallbackReasons {
		m.fallbacks.WithLabelValues(r)
	}
	for _, s := range opts.Servers {
		m.amiState.WithLabelValues(s).Set(float64(AMIDisconnected))
		m.amiDropped.WithLabelValues(s)
	}
	return m, nil
}

// SetCallsActive sets the number of calls up now. The call tracker owns the
// count; setting it (not Inc/Dec) keeps the metric from drifting.
func (m *VoiceMetrics) SetCallsActive(n int) { m.callsActive.Set(float64(n)) }

// SetCallsWithQoS sets the number of calls up now whose media flows are all
// confirmed; with SetCallsActive it gives QoS coverage.
func (m *VoiceMetrics) SetCallsWithQoS(n int) { m.callsQoS.Set(float64(n)) }

// SetMediaFlowsInstalled sets the number of per-call flows confirmed on switches.
func (m *VoiceMetrics) SetMediaFlowsInstalled(n int) { m.mediaFlows.Set(float64(n)) }

// Fallback counts one call leg that fell back to best effort. reason must
// come from a fixed vocabulary (qos.Reason).
func (m *VoiceMetrics) Fallback(reason string) { m.fallbacks.WithLabelValues(reason).Inc() }

// ObserveInstallLatency records the time from media known to barrier confirmed.
func (m *VoiceMetrics) ObserveInstallLatency(d time.Duration) {
	m.installLatency.Observe(d.Seconds())
}

// ObserveRTCP records one RTCP report's quality figures. A negative value
// means "not in this report" and is skipped (RTT needs a previous report).
func (m *VoiceMetrics) ObserveRTCP(jitter time.Duration, lossRatio float64, rtt time.Duration) {
	if jitter >= 0 {
		m.jitter.Observe(jitter.Seconds())
	}
	if lossRatio >= 0 {
		m.loss.Observe(min(lossRatio, 1))
	}
	if rtt >= 0 {
		m.rtt.Observe(rtt.Seconds())
	}
}

// SetAMIState records a server's connection state.
func (m *VoiceMetrics) SetAMIState(server string, s AMIState) {
	m.amiState.WithLabelValues(server).Set(float64(s))
}

// AMIEvent counts one event from server. Past MaxEventNames distinct names
// per server, new names count as "other".
func (m *VoiceMetrics) AMIEvent(server, event string) {
	m.amiEvents.WithLabelValues(server, m.eventLabel(server, event)).Inc()
}

func (m *VoiceMetrics) eventLabel(server, event string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := m.eventNames[server]
	if seen == nil {
		seen = make(map[string]bool)
		m.eventNames[server] = seen
	}
	if seen[event] {
		return event
	}
	if len(seen) >= MaxEventNames {
		return "other"
	}
	seen[event] = true
	return event
}

// AMIEventsDropped counts n events dropped for server.
func (m *VoiceMetrics) AMIEventsDropped(server string, n int) {
	m.amiDropped.WithLabelValues(server).Add(float64(n))
}
