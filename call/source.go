package call

import "context"

// A Source follows the calls of one PBX through one of its interfaces
// (AMI, ARI, ...) and reports them as Events.
//
// Run connects, keeps the connection alive and reconnects until ctx ends,
// calling emit from one goroutine at a time, in the order the PBX reported
// things. emit must not block for long: a Source that falls behind its PBX
// loses events and has to resynchronise.
//
// Resynced is the Source's promise that its view is complete: after a
// (re)connect or a loss of events it lists every call up on the PBX, and a
// consumer may treat any call of this Source's server that it holds and
// the list lacks as ended. A consumer must not act on the absence of a call
// before the Source's first Resynced.
type Source interface {
	// Name identifies the source in logs and metrics ("pbx1/ami").
	Name() string
	// Server is the PBX the source follows (Header.Server of its events).
	Server() string
	Run(ctx context.Context, emit func(Event)) error
}

// NoResync is implemented by a Source that has no view of the PBX's calls
// to resynchronise (FastAGI answers one session at a time) and so never
// emits Resynced: a consumer that waits for every Source's Resynced
// before acting on absences must not wait for it.
type NoResync interface {
	NeverResyncs()
}
