// Package layers holds no code, only a test: it checks that voipsdn's
// packages import only downwards through its layers, and that package qos
// stays a pure planner (no goroutines, no clock).
//
// The layers, bottom-up:
//
//	0 openflow/* and the wire codec (controller/internal/wire)
//	1 faucet/*            Faucet configuration, pipeline compiler, LLDP
//	2 call                neutral call lifecycle events
//	3 ami/*, ari/*, agi/* the PBX interfaces, each a source of call events
//	4 qos                 the per-call flow planner
//	5 controller          OpenFlow sessions with switches
//	6 controller/*        the runtime: dp (and its stores), route, bgp, stats, metrics
//	7 internal/*, dashboards, mininet
//	8 cmd/*
//
// A package may import packages of its own layer or below.
package layers
