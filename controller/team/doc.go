// Package team makes several voipsdn instances one controller team: for
// each datapath one instance is elected master through etcd and is the only
// one that writes to the switch; the others keep their OpenFlow sessions
// and follow every PBX, as warm standbys. See docs/cluster.md.
//
// # Election
//
// Each instance holds one etcd lease (TTL Config.TTL, 4 s by default) kept
// alive by the instance, and registers itself under
// /voipsdn/<cluster>/members/<instance> and, with its lease id and
// liveness link address, /voipsdn/<cluster>/instances/<instance> on it. For every switch it has a
// session with, it campaigns (go.etcd.io/etcd/client/v3/concurrency) under
// /voipsdn/<cluster>/dp/<dpid>/master/ with the same lease. The winner's
// key's create revision is the generation id it sends with its OpenFlow
// MASTER role request: etcd revisions only grow, and a new leader's key is
// always younger than the last leader's, so generation ids grow with every
// change of master across the cluster and a switch refuses an old master's
// request as stale.
//
// Mastership spreads by rendezvous hashing: before campaigning for a DP an
// instance ranks the live members by a hash of (dpid, instance id) and waits
// rank × Config.DeferStep, so the preferred live instance queues first.
// There is no preemption: a master keeps its DP until it dies, is drained or
// loses etcd.
//
// # Liveness link
//
// Each instance keeps a TCP connection to every other instance's published
// link address (liveness.go). When one ends with EOF or RST, as when the
// kernel closes a killed process's sockets, the observer revokes the lease
// that peer published, so its switches move at once rather than when the
// lease expires. Quiet or timed-out connections revoke nothing.
//
// # Fencing
//
// The instance stops writing (Switch.Fence, then Options.Demote) as soon as
// it can no longer prove its lease alive: when no keepalive sent in the
// last 2/3 of the TTL has been answered. The server cannot expire the lease
// before TTL after the last keepalive it answered was sent, so the old
// master is fenced at least TTL/3 before any other instance can win. Should it write
// anyway, the switch refuses it once the new master's higher generation id
// has made it a slave (OFPBRC_IS_SLAVE).
//
// # Goroutines
//
// Team.Run owns the lease keeper, the drain watcher and the liveness
// link (its listener, one goroutine per inbound connection and one per
// followed peer), which it stops last; Attach starts one
// goroutine per switch session, which ends with Detach or the session's
// context. Options.Promote and Demote are called from that goroutine.
package team
