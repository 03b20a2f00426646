// Package parity checks, through the running controller on a real Open
// vSwitch, that the flows voipsdn installs for the parity configs equal
// Faucet's golden flows (faucet/pipeline/testdata, written from Faucet's
// source) after a cold start and again after a warm reload. The routing
// configs have their own such test in internal/e2e/routing.
package parity
