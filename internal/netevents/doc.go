// Package netevents turns what the controller sees into records for
// network tools: Faucet's event records (L2_LEARN, L2_EXPIRE,
// PORT_CHANGE, DP_CHANGE, CONFIG_CHANGE), with Faucet's field names, from
// the DP manager's events; and VOIP_CALL records from the call events.
// Both are published on an eventbus.Bus, which the Faucet event socket
// (Socket, FAUCET_EVENT_SOCK) and the gateway's SSE stream read.
//
// Concurrency: DPEvents and Calls are called from DP, session and call
// source goroutines and never block (the bus drops for slow readers).
// Socket.Run owns its goroutines and waits for them.
package netevents
