package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	stackRootDesc = prometheus.NewDesc("faucet_stack_root_dpid",
		"set to current stack root DPID", nil, nil)
	stackRootChangesDesc = prometheus.NewDesc("stack_root_change_count_total",
		"number of changes in stack root", nil, nil)
)

// stackCollector reads a StackSource at scrape time. Like Faucet's
// label-less metrics, both series exist (at 0) without a stack.
type stackCollector struct {
	src StackSource
}

// Describe sends the stack metrics' descriptors.
func (c stackCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- stackRootDesc
	ch <- stackRootChangesDesc
}

// Collect reads the current stack state.
func (c stackCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.StackState()
	gauge(ch, stackRootDesc, float64(s.RootDPID))
	counter(ch, stackRootChangesDesc, float64(s.RootChanges))
}
