// Package calltest places a test call through a PBX with AMI Originate
// on the controller's own session, follows it through the controller's
// VOIP_CALL records (the merged call stream with the flow store's
// outcomes), reads the call's per-call flows from the switches, hangs up
// and checks the flows are gone, and returns a verdict a network engineer
// can act on (docs/gateway.md, "Test calls").
package calltest
