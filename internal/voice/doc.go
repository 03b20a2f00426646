// Package voice joins voipsdn's voice pieces: it runs the call sources
// (package call: AMI through ami/tracker, ARI, FastAGI and AsyncAGI,
// built from the configuration by NewSources), merges what they say into
// one view of the calls (merge.go: a PBX followed through AMI and ARI at
// once has each call counted and given flows once), applies the calls'
// classes, and hands the flows' owner (Flows, a *callstore.Store) each
// leg's media and each hang-up.
//
// It also decides when stale per-call flows may be swept. A switch that
// connects, or a controller that restarts, may hold flows of calls that
// ended while nobody watched; they are removed only once every source
// that resyncs has resynchronised since it last lost sight of the PBX, so
// that flows of calls still up are adopted, never deleted and
// reinstalled.
//
// While it runs, the per-call store is registered with the DP manager
// (Switches.Register), which hands it each switch's per-call flows at
// connect, to be adopted. The controller tells the service when a switch
// is in sync (SwitchUp: its sweep waits for the sources, or runs now), when a host's address is located
// (HostLocated: legs waiting for that host are placed at once) and when a
// switch reports a flow removed (FlowRemoved).
//
// Concurrency: Service.Run owns the sources' goroutines and the flows'
// Run. Sources call the service from their own goroutines; one mutex
// guards the merged view and is held while the flows are told, so that
// they hear about each call in the order it was decided. The liveness
// the flows ask during a sweep has its own lock. The other methods are
// safe for concurrent use.
package voice
