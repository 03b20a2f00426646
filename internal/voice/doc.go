// Package voice joins voipsdn's voice pieces: it follows the configured
// Asterisk servers (package ami), tracks their calls (ami/tracker) and has
// the QoS engine (qos) install and remove each call's flows.
//
// It also decides when stale per-call flows may be swept. A switch that
// connects, or a controller that restarts, may hold flows of calls that
// ended while nobody watched; they are removed only once every AMI server
// has resynchronised, so that flows of calls still up are adopted, never
// deleted and reinstalled.
//
// The controller tells it when a switch connects (SwitchUp: its per-call
// flows are read, to be adopted), when a host's address is located
// (HostLocated: legs waiting for that host are placed at once) and when a
// switch reports a flow removed (FlowRemoved).
//
// Service.Run owns the AMI clients, the trackers and the engine. Its other
// methods are safe for concurrent use.
package voice
