// Package callstore is the per-call flow store: it keeps one compact
// record per call with QoS, installs each leg's flows and meters as
// package qos plans them, and removes them when the leg or the call ends.
// It sends through the DP manager (qos.Switches, implemented over dp), so
// dp remains the only writer of the switches' flows and meters.
//
// A record holds what the planner decided, not what it produced: a
// stream's flows are rebuilt from its leg's media, the call's cookie and
// its qos.Rule whenever they must be deleted or replayed (record.go). The
// store's runtime duties, which the pure planner cannot have:
//
//   - group commit (commit.go): per datapath, everything queued while the
//     previous change was in flight goes as one change with one barrier;
//     the verdict comes back to the store's goroutine as a callback, so a
//     slow switch never holds up planning for other switches;
//   - adoption (adopt.go): a datapath's per-call flows are read once
//     before anything is installed there, kept under their call's cookie,
//     and handed to a leg whose plan rebuilds exactly those flows, so a
//     restarted controller keeps a live call's flows, meters and counters;
//   - sweep and replay (remove.go): on a switch connect or once the call
//     sources have resynchronised, flows no live call claims are deleted
//     (by cookie category, with a liveness predicate), and streams the
//     switch lost are installed again;
//   - waits (retry.go, direct.go, expiry.go): a leg whose hosts are not
//     located yet is retried (RetryDelay, Retries) and, after SenderWait,
//     marked at the receiver, unless the sender is on a controlled
//     subnet (qos.Homes): then the leg is held until Located places it;
//     phone-to-phone streams are installed ahead
//     of direct media and dropped after DirectGrace if unused; a flow that
//     idled out while its call is up is installed again.
//
// Concurrency: one goroutine, started by Run, owns all state; exported
// methods queue work for it and are safe for concurrent use (Located never
// blocks). Its other goroutines are the per-datapath committers, the
// one-shot flow reads of adoption and the timers of its Clock, all ending
// with Run's context; Run waits for them. Time is read only through
// Store.Clock, which tests replace.
package callstore
