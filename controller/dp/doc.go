// Package dp runs the datapaths (switches) of a Faucet-style configuration:
// one Manager for the controller, one goroutine per configured DP.
//
// The Manager is the session layer's Handler. When a switch connects it
// compiles the DP's desired state with faucet/pipeline, reads what the
// switch already holds, and sends only the difference followed by a barrier,
// so a controller restart never deletes a flow that is still wanted. A
// switch whose datapath ID is not configured is logged and closed.
//
// Packet-ins are parsed and classified on the session's goroutine and queued
// for the DP's goroutine in two bounded queues, one for learning and one for
// control-plane packets (ARP, ND, LLDP, LACP), each behind its own token bucket:
// a learning storm fills and overflows only its own queue. Overflow and
// rate-limit drops are counted, never fatal. Learned hosts become flows
// through a host table (hostflows.go, owner keys "host:<vid>/<mac>"), and
// Learned.Expire runs on the DP's goroutine from an injectable Clock.
// LLDP (lldp.go): the DP's timer sends Faucet's beacons and LLDP-MED voice
// policies (faucet/lldp) as packet-outs, paced per send_interval, and LLDP
// packet-ins record each port's neighbour until its TTL runs out.
// Learning batches go through the group commit as Overtake changes and are
// not waited for: their verdict is a callback on the session's reader
// (confirm.go), so a switch round trip never delays the next packet-in,
// and a switch that refused learned flows is reconciled on a later tick.
//
// LACP (lacp.go) runs on the DP's goroutine too: LACPDUs arrive as
// control-plane packet-ins and are answered with packet-outs, each port's
// state follows Faucet's machine (package faucet/lacp), and a member that
// starts or stops forwarding recompiles its port's and VLANs' owners. A
// one-second ticker expires silent members and sends the lacp_active
// ports' LACPDUs; View carries the states for the LACP metrics, and
// Options.LAGChanged gets Faucet's LAG_CHANGE events.
//
// Stacking (stack.go): the stacked DPs share one fabric, the stack's port
// states, root and per-DP views (package faucet/stack) under a lock. Stack
// ports' beacons and LLDP packet-ins drive each port's Faucet state
// (INIT, UP, BAD, GONE); any change re-elects the root and rebuilds the
// views, and the DPs are kicked over a channel to recompile their flood
// flows on their own goroutines. Hosts heard on a stack port are learned
// towards the DP whose host port learned them (the host index).
//
// A new configuration (SetConfig, apply.go) is applied all or nothing: every
// DP compiles first (a running one on its goroutine, which then holds), and
// only if all succeed are the DPs swapped; changed DPs send only the owners
// whose flows differ, and switches stay connected.
//
// Flow stores (store.go). dp is the only writer of flows, groups and
// meters; every owner lives in a store, and every store has the same
// contract with a DP: a share of the cookie space, handed to it from the
// one read of the switch at connect (Reconcile, the read split by
// controller.Share) so that it adopts what an earlier run left, answered
// with one change (replay of what the switch lacks, deletes of what it
// does not want), and sent through the DP's group commit, the one send
// path. The DP's own store (ownstore.go), a Store like the others whose
// share is every cookie the registered stores leave, holds the pipeline's
// owners in the diff cache (controller.Cache: a change is committed once
// the switch has confirmed it; the whole-switch controller.Diff at connect
// is its adoption, sweep and replay) and the learned hosts in the host
// table (recorded when queued, confirmed by a callback; a refusal marks
// the DP for a full diff). Other stores register (Register); the per-call
// store (controller/dp/callstore) is one, and asks for a fresh read
// (Manager.Reconcile) to sweep once its liveness is known.
//
// Group commit (commit.go): Commit queues a store's change from any
// goroutine; the DP's goroutine sends everything queued while the previous
// change was in flight as one change with one barrier
// (SendWithBarrier), in-band barrier requests (of13.BarrierRequest)
// keeping each change's phases in order, and the verdicts come back as
// callbacks on the session's reader, so no store waits for a switch,
// except the DP's own when it records a pipeline change: it drives the
// queue on the DP's goroutine until its verdict is in (runner.await). A
// change with meters or groups of the pipeline's goes in a group of its
// own; a refused group is sent again change by change. Learned hosts are
// Overtake changes (overtake.go): sent at once beside a group in flight,
// never merged or retried, at most one barrier of theirs outstanding.
// Apply is Commit for a caller that waits; ApplyOwner records an owner's
// flows in the cache.
// Locate reports where a MAC or IP address was learned; Program gives the
// program and VoicePlacement the voip table's placement (qos.Placement),
// both read from what the DP goroutine publishes (view.go) when its
// program or connection changes, without a round trip or any per-call
// work. Metrics read EachDP, EachView and EachHost at scrape time and
// count events through Options.Events; the package does not import
// Prometheus.
//
// Concurrency: all state of one DP is owned by that DP's goroutine; public
// methods send it a request and wait for the answer, or read snapshots it
// publishes through atomic pointers (views, host locations), so every
// exported method is safe for concurrent use. Commit and Register never
// wait; a group-commit queue is guarded by its own mutex, drained by the
// DP's goroutine and answered on the session's reader. A Store's
// Reconcile runs on the DP's goroutine (at connect) and must not block. The Manager's goroutines run between
// Run's start and the cancellation of its context; Run returns after all of
// them have stopped. The package has no global state.
package dp
