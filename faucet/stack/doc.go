// Package stack is Faucet's stacking topology as pure data: the stack
// links a configuration declares, root election among the DPs with a stack
// priority, and each DP's view of the tree (which stack ports lead towards
// the root, which lead away, which are pruned), recomputed from the set of
// links that are up. It follows faucet/stack.py (Stack) and
// faucet/valve_stack.py (ValveStackManager). It does no I/O: controller/dp
// feeds it link states from LLDP and hands the views to the pipeline.
package stack
