// Package route holds the routing decisions of voipsdn's L3 pipeline as
// pure state machines: which next hops and hosts must be resolved by
// ARP/ND and when to probe them again, and which FIB entries follow from
// the static and BGP routes once their next hops are known.
//
// Faucet's behaviour is the reference: a next hop that does not answer is
// probed again with exponential backoff; learning and routing for others go
// on meanwhile. Probes are also budgeted per call to Due, so a storm of
// unresolvable destinations costs a bounded number of packets per tick.
//
// Router (router.go) puts the pieces together per datapath, after Faucet's
// ValveRouteManager: it answers ARP, ND and ICMP echo for the VIPs,
// answers router solicitations and floods router advertisements every
// advertise_interval from link-local IPv6 VIPs (advertising the VLAN's
// other IPv6 prefixes, with Faucet's lifetimes and flags), learns
// neighbours from their packets, resolves static and BGP next hops and the
// hosts routed packets are sent to (at most MaxPendingHosts at a time,
// each given up after MaxHostRetries probes), and reports FIB changes per
// prefix (host routes and resolved prefixes), which controller/dp turns into
// faucet/pipeline route owners.
//
// Nothing here reads a clock or touches a switch: callers pass now and turn
// the results into packet-outs and flows. Values are not synchronised; one
// goroutine (the datapath's) owns them.
package route
