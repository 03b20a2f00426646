package metrics

import "net"

// DPSource is what the runtime implements so that state metrics are read at
// scrape time. EachDP calls fn once per configured datapath, connected or
// not, and must not retain fn. It is called on scrape goroutines, possibly
// concurrently, and must return quickly (read a snapshot, no switch I/O).
type DPSource interface {
	EachDP(fn func(*DP))
}

// DP is one datapath's state as the runtime sees it at scrape time. The
// collector reads it during the call to fn only; the runtime may reuse it.
type DP struct {
	ID        uint64
	Name      string
	Connected bool // dp_status

	// Desc is the switch's OFPMP_DESC reply; nil until it has answered.
	Desc *DescStats

	Ports  []Port
	VLANs  []VLAN
	Tables []Table // the compiled pipeline: faucet_config_table_names
	BGP    []BGPNeighbor
	// Stack is set for a DP in a stack.
	Stack *DPStack
	// StackProbes and CablingErrors count the stack beacons the DP heard
	// and those naming another peer than configured
	// (stack_probes_received_total, stack_cabling_errors_total); every DP
	// exports them, as Faucet does.
	StackProbes, CablingErrors uint64

	// EachHost, if set, walks the learned hosts (learned_macs,
	// port_vlan_hosts_learned). A callback, not a slice, so a large host
	// table is not copied per scrape.
	EachHost func(fn func(Host))
}

// Port is one configured port.
type Port struct {
	Number      uint32
	Name        string // the configured name; empty means the number
	Description string // empty means the name
	Up          bool   // port_status
	LearnBans   uint64 // port_learn_bans
	// LACP is set for LACP ports.
	LACP *PortLACP
	// Stack is set for stack ports.
	Stack *PortStack
}

// PortStack is a stack port's state, with Faucet's values (port.py).
type PortStack struct {
	State   int    // port_stack_state: 1 initializing, 2 bad, 3 up, 4 gone
	Changes uint64 // port_stack_state_change_count_total
}

// DPStack is a stacked DP's place in the stack.
type DPStack struct {
	Root        bool   // is_dp_stack_root
	RootHopPort uint32 // dp_root_hop_port: the port towards the root, 0 on the root
}

// PortLACP is a LACP port's state, with Faucet's values (port.py).
type PortLACP struct {
	State   int    // port_lacp_state: -1 not configured, 0 none, 1 initializing, 3 up, 5 no sync
	Role    int    // port_lacp_role: -1 not configured, 1 unselected, 2 selected, 3 standby
	PortID  int    // lacp_port_id
	Changes uint64 // port_lacp_state_change_count_total
}

// VLAN is one configured VLAN.
type VLAN struct {
	VID           uint16
	HostsLearned  int    // vlan_hosts_learned
	LearnBans     uint64 // vlan_learn_bans
	IPv4Neighbors int    // vlan_neighbors{ipv="4"}
	IPv6Neighbors int    // vlan_neighbors{ipv="6"}
}

// Host is one learned MAC address.
type Host struct {
	Port uint32
	VID  uint16
	MAC  net.HardwareAddr
}

// Table is one table of the compiled pipeline.
type Table struct {
	ID         uint8
	Name       string
	NextTables []string
}

// DescStats is a switch's description (OFPDescStatsReply).
type DescStats struct {
	Manufacturer, Hardware, Software, SerialNum, DPDesc string
}

// BGPNeighbor is one BGP session configured on a VLAN's router.
type BGPNeighbor struct {
	VID        uint16
	Neighbor   string // peer address
	UptimeSecs float64
	IPv4Routes int // bgp_neighbor_routes{ipv="4"}
	IPv6Routes int // bgp_neighbor_routes{ipv="6"}
}

// StackSource reports the stack as a whole at scrape time.
type StackSource interface {
	StackState() StackState
}

// StackState is the stack's root: zero without a stack.
type StackState struct {
	RootDPID    uint64 // faucet_stack_root_dpid
	RootChanges uint64 // stack_root_change_count_total, the first root included
}

// ConfigSource reports the configuration state at scrape time.
type ConfigSource interface {
	ConfigState() ConfigState
}

// ConfigState is the state of the last configuration (re)load.
type ConfigState struct {
	LoadError bool    // faucet_config_load_error: the last load attempt failed
	Applied   float64 // faucet_config_applied: fraction of DPs the config was sent to
	// Files and Hashes are the files of the last good config and their
	// hashes, comma-joined into faucet_config_hash_info as Faucet does.
	Files    []string
	Hashes   []string
	HashFunc string // faucet_config_hash_func{algorithm}; e.g. "sha256"
	EventID  uint64 // faucet_event_id
}
