// Package stats polls OpenFlow statistics from switches and exports them
// under Gauge's Prometheus names (faucet/gauge_prom.py): of_port_* per port,
// of_meter_* per meter and flow_{byte,packet}_count_<table> per table, plus
// voipsdn_flow_table_entries and the poller's own health
// (voipsdn_stats_poll_success, voipsdn_stats_poll_duration_seconds).
//
// Polling and scraping are decoupled. Each switch is polled by one goroutine
// (the caller of Poller.Run, normally the runtime's per-switch goroutine) at
// fixed intervals, one request at a time; results replace that switch's
// entry in a cache. A scrape only reads the cache: it never talks to a
// switch, so scrape frequency and concurrent scrapes never change switch
// load, and a slow switch never slows a scrape.
//
// Concurrency: Poller methods are safe for concurrent use. Run blocks until
// its context ends and removes the switch's cache entry when it returns, so
// a disconnected switch's series disappear as Gauge's do. A failed poll
// keeps the last good values and sets voipsdn_stats_poll_success to 0.
package stats
