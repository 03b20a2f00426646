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
// Nothing here reads a clock or touches a switch: callers pass now and turn
// the results into packet-outs and flows. Values are not synchronised; one
// goroutine (the datapath's) owns them.
package route
