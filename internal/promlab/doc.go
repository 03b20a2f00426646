// Package promlab starts a real Prometheus server for tests: a generated
// configuration scraping the given targets every second under job "faucet"
// (so Faucet's dashboards' job matchers hold), a free loopback port, a
// private TSDB directory, and shutdown when the test ends.
//
// Tests wait for data with WaitForSeries or WaitFor, which poll the HTTP API;
// they never sleep a fixed time. The first scrape result appears about 5-6 s
// after start.
//
// The binary is /usr/bin/prometheus (Debian package prometheus) or
// "prometheus" on PATH. Without it a test is skipped, except under CI=true,
// where a missing binary fails the test: CI must not pass by skipping.
//
// A Server belongs to the test that started it; its methods are safe for
// concurrent use. The package has no global state.
package promlab
