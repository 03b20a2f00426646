// Package stack tests Faucet stacking on Open vSwitch: three bridges in one
// vswitchd, wired in a ring by veth pairs, controlled by one voipsdn.
package stack
