package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/voipsdn/voipsdn/controller"
)

// serverStats exports the OpenFlow server's own counters: what it refused
// or survived before any datapath was known, so they carry no dp labels.
type serverStats struct{ stats func() controller.Stats }

// ServerStats returns a collector of the OpenFlow server's counters, read
// from stats (controller.Server.Stats) at scrape time.
func ServerStats(stats func() controller.Stats) prometheus.Collector {
	return serverStats{stats}
}

var (
	acceptErrorsDesc = prometheus.NewDesc("voipsdn_of_accept_errors_total",
		"Failed accepts on the OpenFlow port (EMFILE, ENFILE...); each is retried with backoff.", nil, nil)
	refusedDesc = prometheus.NewDesc("voipsdn_of_connections_refused_total",
		"OpenFlow connections closed at accept because a cap on pending handshakes or connections per address was reached.", nil, nil)
	rejectedDesc = prometheus.NewDesc("voipsdn_of_connections_rejected_total",
		"OpenFlow connections closed in or right after the handshake (TLS or OpenFlow failure, unknown or unbound datapath).", nil, nil)
	takeoversDesc = prometheus.NewDesc("voipsdn_of_dpid_takeovers_total",
		"Sessions replaced by a new connection claiming the same datapath id.", nil, nil)
	unboundDesc = prometheus.NewDesc("voipsdn_of_dpid_binding_refused_total",
		"TLS connections refused because the switch certificate does not name the datapath id claimed.", nil, nil)
)

func (c serverStats) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{acceptErrorsDesc, refusedDesc, rejectedDesc, takeoversDesc, unboundDesc} {
		ch <- d
	}
}

func (c serverStats) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	for _, m := range []struct {
		d *prometheus.Desc
		v uint64
	}{
		{acceptErrorsDesc, st.AcceptErrors}, {refusedDesc, st.Refused}, {rejectedDesc, st.Rejected},
		{takeoversDesc, st.Takeovers}, {unboundDesc, st.BindingRefused},
	} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}
