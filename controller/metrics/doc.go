// Package metrics exports voipsdn's Faucet-compatible Prometheus metrics:
// the names, types and labels of Faucet's FaucetMetrics (faucet_metrics.py)
// and prom_client.py, so Faucet's Grafana dashboards and recording rules work
// against voipsdn unchanged. Gauge's port, meter and flow statistics live in
// controller/stats, which owns the poller that produces them.
//
// Two kinds of metric live here:
//
//   - Event counters and histograms (of_packet_ins_total, of_errors_total,
//     faucet_config_reload_*_total, faucet_packet_in_secs ...). Hot paths
//     bump them through a DPCounters handle fetched once per datapath, so a
//     packet-in costs one atomic add and no label lookup.
//   - State (dp_status, port_status, LACP port states, learned hosts, neighbours, BGP, config
//     hashes ...). Nothing is pushed: collectors read a DPSource and a
//     ConfigSource at scrape time, so per-host series cost nothing on the
//     packet path and never go stale.
//
// Nothing here registers on the default registry: Register takes the
// registry, so two controllers (or parallel tests) in one process never share
// metrics. All exported functions and methods are safe for concurrent use.
// DPSource and ConfigSource implementations are called on the scrape
// goroutine, possibly by several scrapes at once; they must not block on
// switch I/O.
package metrics
