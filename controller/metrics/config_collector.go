package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	loadErrorDesc = prometheus.NewDesc("faucet_config_load_error",
		"1 if last attempt to re/load config failed.", nil, nil)
	appliedDesc = prometheus.NewDesc("faucet_config_applied",
		"Fraction of DPs that we have tried to apply config to.", nil, nil)
	hashInfoDesc = prometheus.NewDesc("faucet_config_hash_info",
		"File hashes for last successful config.", []string{"config_files", "hashes"}, nil)
	hashFuncDesc = prometheus.NewDesc("faucet_config_hash_func",
		"Algorithm used to compute config hashes.", []string{"algorithm"}, nil)
	eventIDDesc = prometheus.NewDesc("faucet_event_id",
		"Highest/most recent event ID to be sent.", nil, nil)
)

// configCollector reads a ConfigSource at scrape time.
type configCollector struct {
	src ConfigSource
}

// Describe sends the config metrics' descriptors.
func (c configCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{loadErrorDesc, appliedDesc, hashInfoDesc, hashFuncDesc, eventIDDesc} {
		ch <- d
	}
}

// Collect reads the current config state.
func (c configCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.ConfigState()
	gauge(ch, loadErrorDesc, boolValue(s.LoadError))
	gauge(ch, appliedDesc, s.Applied)
	// Python's Info metric exports name_info{labels} 1.
	gauge(ch, hashInfoDesc, 1, strings.Join(s.Files, ","), strings.Join(s.Hashes, ","))
	if s.HashFunc != "" {
		gauge(ch, hashFuncDesc, 1, s.HashFunc)
	}
	gauge(ch, eventIDDesc, float64(s.EventID))
}
