package team

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the team's Prometheus metrics; a nil *Metrics discards.
type Metrics struct {
	roles     *prometheus.GaugeVec
	elections *prometheus.CounterVec
	takeovers prometheus.Histogram
}

// NewMetrics registers the team's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		roles: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "voipsdn_team_role",
			Help: "1 while this instance is the datapath's master, 0 while it is a standby.",
		}, []string{"dp_id", "dp_name"}),
		elections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voipsdn_team_elections_total",
			Help: "Times this instance won a datapath's election and became its master.",
		}, []string{"dp_id", "dp_name"}),
		takeovers: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "voipsdn_team_takeover_seconds",
			Help:    "From winning a datapath's election to the end of its reconcile as master.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	for _, c := range []prometheus.Collector{m.roles, m.elections, m.takeovers} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func dpLabel(id uint64) string { return fmt.Sprintf("%#x", id) }

// SetRole records whether this instance is dpid's master.
func (m *Metrics) SetRole(dpid uint64, name string, master bool) {
	if m == nil {
		return
	}
	v := 0.0
	if master {
		v = 1
	}
	m.roles.WithLabelValues(dpLabel(dpid), name).Set(v)
}

func (m *Metrics) forget(dpid uint64, name string) {
	if m == nil {
		return
	}
	m.roles.DeleteLabelValues(dpLabel(dpid), name)
}

// Elected counts an election this instance won for dpid.
func (m *Metrics) Elected(dpid uint64, name string) {
	if m != nil {
		m.elections.WithLabelValues(dpLabel(dpid), name).Inc()
	}
}

// Takeover observes the time from winning an election to the end of the
// reconcile as master.
func (m *Metrics) Takeover(d time.Duration) {
	if m != nil {
		m.takeovers.Observe(d.Seconds())
	}
}
