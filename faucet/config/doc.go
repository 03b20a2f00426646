// Package config loads, parses and validates Faucet-compatible (version 2)
// controller configuration, plus voipsdn's own top-level `voip:` section.
//
// The work is split into three stages so each can be tested on its own:
//
//   - Load reads the main file and everything it includes (include,
//     include-optional; paths relative to the including file; loops are
//     errors; a missing include-optional is skipped) into a Source. Each
//     file must be a regular file of at most MaxFileBytes (4 MiB, or
//     $VOIPSDN_CONFIG_MAX_BYTES), so a mistaken path cannot make a reload
//     read without bound.
//   - Parse checks every section against Faucet's schema (unknown keys and
//     wrong types are errors, YAML 1.1 typing as in PyYAML) and fills in
//     defaults, giving a Document.
//   - Validate resolves cross references (VLANs by name or VID, ports by
//     number or name, ACLs, meters, routers, stack peers, tunnels) per DP
//     and runs Faucet's consistency checks, giving the immutable *Config.
//
// LoadFile runs all three. Every stage collects all independent errors
// instead of stopping at the first. The error is an Errors value; each
// Error prints as "file:line:col: object.path: message", for example
//
//	faucet.yaml:12:7: dps.sw1.interfaces.3.native_vlan: unknown VLAN "voice"
//
// Features that are valid Faucet configuration but that voipsdn does not
// program yet (stacking, 802.1X, tunnels, ...) are accepted;
// Config.Unsupported lists them so that `run` can refuse the config.
//
// Diff compares two configs and returns a named ChangeSet per DP (ports,
// VLANs, ACLs, meters, routers, routes, cold start needed). A Reloader
// owns the running config: Reload (at start-up and on SIGHUP) loads,
// validates, diffs, applies (WithApply) and only then commits; a bad
// config is rejected and the running one stays. Watch polls the files and
// reloads by itself, so a config that was bad at start-up recovers once
// fixed:
//
//	r := config.NewReloader(path, config.WithApply(ctrl.Apply), config.WithLogger(log))
//	if _, err := r.Reload(ctx); err != nil { ... } // r.Current() stays nil
//	go r.Watch(ctx, time.Second, report)          // owned by the caller
//
// Faucet's own config test cases are the conformance suite
// (conformance_test.go, built with -tags conformance, run by `make
// conformance CORPUS=dir`); they are not part of this repository.
//
// Concurrency: a *Config and everything reachable from it is immutable once
// returned and may be shared by any number of goroutines. Reloader is safe
// for concurrent use and serialises reloads. The package has no global
// mutable state.
package config
