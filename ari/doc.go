// Package ari follows an Asterisk PBX through its REST interface (ARI): the
// events WebSocket (/ari/events) and a few read-only REST requests, and
// reports what it sees as the neutral call events of package call. It is a
// call.Source beside the AMI tracker; both name calls by the PBX's Linkedid
// and legs by its Uniqueid, so the two views of one PBX agree.
//
// voipsdn only observes. It registers its own Stasis application name
// (Config.App, "voipsdn" by default) with subscribeAll, which delivers the
// events of every channel and bridge without taking any of them into the
// application. It must never use the name of an application the PBX runs:
// Asterisk keeps one WebSocket per application name, so a second
// connection under that name would take the application from its owner and
// break its calls. It never POSTs or DELETEs.
//
// The parts:
//   - Decode turns one WebSocket text frame into an Event (bounded size).
//   - Follower is a pure state machine (no I/O, no clock, no goroutine):
//     Apply(event) and Answer(request, value) return call.Events and
//     queue REST Requests (channel variables the events do not carry);
//     Resync(snapshot) reconciles it with GET /ari/channels and
//     /ari/bridges after a (re)connect. Recordings replay through it
//     exactly as a live session runs.
//   - Client is the REST client (timeouts, bounded bodies, basic auth).
//   - Source connects the WebSocket, resynchronises, feeds the Follower,
//     runs its requests and reconnects with backoff.
//
// Concurrency: Follower and Decode are not safe for concurrent use (a
// Follower belongs to one goroutine); Client is. Source.Run owns every
// goroutine it starts (a frame reader and the REST workers of each
// session) and waits for them before it returns; emit is called from the
// goroutine that called Run.
package ari
