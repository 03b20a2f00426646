// Package bgp is voipsdn's BGP speaker: github.com/osrg/gobgp/v4 embedded
// in-process, configured the way Faucet's routers.NAME.bgp section
// describes it.
//
// A Speaker peers with its neighbours, reports every best-path change of
// the routes they send as a Route (an update or a withdrawal, so a change of
// best path never needs a full reprogram of the FIB), and announces the
// prefixes the controller owns (connected subnets and static routes), which
// Faucet's own BGP does not do.
//
// Like Faucet, the speaker is passive: it listens on server_addresses:port
// and its neighbours connect to it.
//
// Run owns the embedded server: it starts it, and stops it when its context
// ends. The other methods are safe for concurrent use while Run runs. The
// route callback is called from gobgp's goroutine and must not block.
package bgp
