package voicemetrics

import (
	"fmt"
	"slices"
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

// CallOutcomes is the vocabulary of voipsdn_calls_total's outcome label,
// as the call tracker tells it (tracker.Outcome): answered, busy, noanswer
// (rang out), cancelled (the caller gave up), failed (unavailable,
// congestion, rejected) and unknown. Any other value counts as unknown.
var CallOutcomes = []string{"answered", "busy", "noanswer", "cancelled", "failed", "unknown"}

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
	callsTotal     *prometheus.CounterVec
	refused        *prometheus.CounterVec
	panics         *prometheus.CounterVec
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
		callsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_calls_total", Help: "Calls ended, as tracked from AMI, by server and outcome (answered, busy, noanswer, cancelled, failed, unknown)."},
			[]string{"server", "outcome"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_ami_channels_refused_total", Help: "AMI channels not tracked because the server's max_calls or max_legs was reached, by server and limit."},
			[]string{"server", "limit"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_recovered_panics_total", Help: "Bugs caught at a goroutine boundary that handles peer input; each cost a connection or a resync, not the process."},
			[]string{"server", "component"}),
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
		m.callsActive, m.callsTotal, m.refused, m.panics, m.callsQoS, m.mediaFlows, m.fallbacks, m.amiState, m.amiEvents,
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
		s = Label(s)
		m.amiState.WithLabelValues(s).Set(float64(AMIDisconnected))
		m.amiDropped.WithLabelValues(s)
		for _, o := range CallOutcomes {
			m.callsTotal.WithLabelValues(s, o)
		}
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
func (m *VoiceMetrics) Fallback(reason string) { m.fallbacks.WithLabelValues(Label(reason)).Inc() }

// CallEnded counts one ended call of server by outcome (one of
// CallOutcomes; anything else counts as "unknown").
func (m *VoiceMetrics) CallEnded(server, outcome string) {
	if !slices.Contains(CallOutcomes, outcome) {
		outcome = "unknown"
	}
	m.callsTotal.WithLabelValues(Label(server), outcome).Inc()
}

// CallsTotal returns the voipsdn_calls_total counter of server and
// outcome (for tests and tools).
func (m *VoiceMetrics) CallsTotal(server, outcome string) prometheus.Counter {
	return m.callsTotal.WithLabelValues(Label(server), outcome)
}

// AMIEventsCounter returns the voipsdn_ami_events_total counter of server
// and event name, sanitised as AMIEvent does (for tests and tools).
func (m *VoiceMetrics) AMIEventsCounter(server, event string) prometheus.Counter {
	return m.amiEvents.WithLabelValues(Label(server), Label(event))
}

// ChannelRefused counts one channel of server that the call tracker did
// not follow because limit ("max_calls" or "max_legs") was reached.
func (m *VoiceMetrics) ChannelRefused(server, limit string) {
	if limit != "max_calls" && limit != "max_legs" {
		limit = "other"
	}
	m.refused.WithLabelValues(Label(server), limit).Inc()
}

// PanicRecovered counts one bug caught at the boundary of a goroutine that
// handles input from server; component is a fixed name ("ami_reader",
// "ami_delivery", "tracker").
func (m *VoiceMetrics) PanicRecovered(server, component string) {
	m.panics.WithLabelValues(Label(server), Label(component)).Inc()
}

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
	m.amiState.WithLabelValues(Label(server)).Set(float64(s))
}

// AMIEvent counts one event from server. Past MaxEventNames distinct names
// per server, new names count as "other".
func (m *VoiceMetrics) AMIEvent(server, event string) {
	server = Label(server)
	m.amiEvents.WithLabelValues(server, m.eventLabel(server, Label(event))).Inc()
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
	m.amiDropped.WithLabelValues(Label(server)).Add(float64(n))
}
