// Package callstore is the per-call flow store: it keeps one compact
// record per call with QoS, installs each leg's flows and meters as
// package qos plans them, and removes them when the leg or the call ends.
// It is one of dp's stores (dp.Store, its share the per-call cookie
// category): it sends only through dp's group commit, so dp remains the
// only writer of the switches' flows and meters.
//
// A record holds what the planner decided, not what it produced: a
// stream's flows are rebuilt from its leg's media, the call's cookie and
// its qos.Rule whenever they must be deleted or replayed (record.go). The
// store's runtime duties, which the pure planner cannot have:
//
//   - sending (commit.go): each batch is queued on its datapath's group
//     commit in dp (Switches.Commit, dp.Manager.Commit), which sends
//     everything queued while the previous change was in flight as one
//     change with one barrier; the verdict comes back to the store's
//     goroutine through an unbounded inbox, so a slow switch never holds
//     up planning for other switches, and dp never waits for the store;
//   - adoption (adopt.go): dp hands the store a datapath's per-call flows
//     when its switch connects (Reconcile), before anything of the
//     store's is sent there; a store that has not had them asks dp to read
//     them (Switches.Reconcile) before its first install there. Flows of
//     earlier generations are kept under their call's cookie and handed
//     to a leg whose plan rebuilds exactly those flows, so a restarted
//     controller keeps a live call's flows, meters and counters;
//   - sweep and replay (remove.go): once the call sources have
//     resynchronised (the voice service's gate, which calls Sweep), dp
//     reads the switch again and the store answers with one change:
//     streams the switch lost installed again, flows no live call claims
//     deleted (a liveness predicate on the cookie without its generation);
//   - waits (retry.go, direct.go, expiry.go): a leg whose hosts are not
//     located yet is retried (RetryDelay, Retries) and, after SenderWait,
//     marked at the receiver, unless the sender is on a controlled
//     subnet (qos.Homes): then the leg is held until Located places it;
//     phone-to-phone streams are installed ahead
//     of direct media and dropped after DirectGrace if unused; a flow that
//     idled out while its call is up is installed again.
//
// Concurrency: one goroutine, started by Run, owns all state; exported
// methods queue work for it and are safe for concurrent use (Located and
// Reconcile never block). Its other goroutines are the one-shot reads it
// asks dp for and the timers of its Clock, all ending with Run's context;
// Run waits for them. Time is read only through Store.Clock, which tests
// replace.
package callstore
