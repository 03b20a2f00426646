// Package app assembles the voipsdn controller from its parts: the
// configuration Reloader (faucet/config), the per-DP manager (controller/dp),
// the OpenFlow server (controller), the Prometheus endpoint with Faucet's
// metrics (controller/metrics, fed by the manager's snapshots and events,
// and controller/stats, polling each connected switch) and, when the
// configuration names Asterisk servers, the voice service (internal/voice).
// `voipsdn run` parses flags into Options and calls Run; integration tests
// start an App in-process on loopback ports.
//
// Configuration is reloaded on Reload (SIGHUP in `voipsdn run`), when a
// watched file changes (Options.Watch) and, while no valid configuration has
// been loaded yet, whenever the file changes: a controller started with a
// broken file keeps running, reports the errors, and recovers once the file
// is fixed. Applying a configuration is all or nothing (reload.go): features
// voipsdn does not program yet, the voice service (built, not started) and
// every DP's program are checked and built first, then swapped in; any
// failure refuses the whole configuration, the running one stays, and the
// error says why.
//
// Concurrency: Run owns every goroutine it starts and returns after they
// have stopped. Reload and the accessors are safe for concurrent use.
package app
