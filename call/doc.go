// Package call holds what voipsdn knows about calls independently of how
// it learned it: the lifecycle events (a call starts, a leg answers, its
// media becomes known or moves, RTCP reports its quality, a leg or the call
// ends, a source resynchronises, the dialplan classifies a call) and the
// Source interface that every PBX interface (AMI, ARI, ...) implements.
//
// Consumers (the QoS service, metrics, the event stream) depend on this
// package only, never on a particular source, so a new source is one
// package plus one configuration section.
//
// The package holds types only: no goroutines, no I/O, no state.
package call
