// Package pipeline compiles a Faucet-style DP configuration, plus the
// hosts learned at run time, into the OpenFlow 1.3 flows, meters and
// groups its switch should hold. It reproduces Faucet's multi-table
// pipeline: same table order, priorities, cookie, timeouts and packet
// fates, so a Faucet user's faucet.yaml behaves the same.
//
// # Tables
//
// The pipeline is declared as data (tables.go, after Faucet's
// faucet_pipeline.py): each table lists the fields its flows may match
// (and whether masked), the fields they may set, the tables they may go to
// and where a packet no flow matches goes. Only the tables in use are
// kept, numbered from 0 in Faucet's order:
//
//	port_acl         port acls_in / dp_acls (when any are configured)
//	vlan             VLAN membership: tag untagged frames with the native VLAN
//	voip             per-call QoS flows (only with WithVoIPTable, see below)
//	vlan_acl         VLAN acls_in (when any are configured)
//	eth_src          source filters; unknown sources to the controller; learned sources
//	ipv4_fib, ipv6_fib, vip   routing (when a VLAN has faucet_vips; flows come from route.go)
//	eth_dst_hairpin  learned hosts on hairpin ports
//	eth_dst          learned destinations
//	egress_acl       VLAN acls_out (when any are configured; egress.go)
//	egress           output by the port and VLAN eth_dst wrote to the metadata
//	                 (egress_pipeline, or any acls_out)
//	flood            per-VLAN flooding; link-local control frames dropped
//
// The flow builder (builder.go) checks every flow against its table's
// declaration and fails Compile with a *BuildError on an undeclared match,
// mask, set-field or goto, as Faucet's ValveTable asserts do. ACL rules
// whose matches lack their OpenFlow prerequisites (udp_dst without
// ip_proto 17, ...) are rejected with an error naming the rule: Faucet
// accepts them and the switch then refuses the flow.
//
// The tests push packets through the compiled program on the in-memory
// switch (openflow/oftable) and, when Open vSwitch is installed, on a
// real OVS with a dummy datapath (ovs_test.go), asserting packet fates.
//
// # Owners
//
// Compile returns flows grouped by owner key — OwnerDP, VLANOwner,
// PortOwner, ACLOwner, HostOwner, PortBanOwner, VLANBanOwner — so the
// runtime reconciles only the owners a reload or a learn event changed.
// No flow key appears under two owners. Pipeline flows carry the DP
// cookie (default 0x5ADC15C0), except ACL rules with their own `cookie:`,
// which carry that cookie, as in Faucet.
//
// # Learning
//
// Learned is the runtime state (hosts, bans); the caller owns it. Learn
// and Expire take the time as an argument and return the owners to set or
// delete; Compile re-emits the same host flows from Learned, so a reload
// keeps learned hosts. ParsePacket and Classify sort packet-ins into
// learning, control plane (LACP, LLDP, ARP/ND/ICMP for Faucet VIPs) and
// drops so the runtime can rate-limit them separately.
//
// # Voice QoS placement
//
// Per-call flows (package qos) go in the voip table, which sits between
// vlan and vlan_acl when Compile is given WithVoIPTable. There every
// packet already carries its VLAN tag, so a per-call flow can match
// vlan_vid, in_port, eth_type, ip_proto, IP addresses and UDP/TCP ports
// (see the voip declaration), set ip_dscp or vlan_pcp, apply a meter and
// set_queue, then goto Program.VoIPNext(vid) — the table the VLAN's packets
// would have gone to anyway (vlan_acl or eth_src), so learning, VLAN ACLs
// and forwarding are unchanged. The compiler installs one flow per VLAN at
// priority 0x1000 that does just that goto; per-call flows must use
// priorities above it and their own cookie category, so the DP-cookie
// reconciler never touches them. Port ACLs (port_acl, before vlan) still
// apply to call traffic: a pinhole through a port ACL needs an ACL rule.
// Without WithVoIPTable the layout is exactly Faucet's.
//
// # Not implemented
//
// Stacking, 802.1X, tunnels, coprocessor, the classification table,
// loop_protect_external, nexthop groups for routes (Faucet's
// group_table routing), global routing (global_vlan).
//
// # LACP
//
// lacp.go installs Faucet's LACP flows: LACPDUs from a LACP port go to
// the controller (124 bytes, highest priority); until the port's member is
// up and selected (Learned.SetLACPForwarding, decided by controller/dp
// with package lacp) everything else from it is dropped at high priority;
// each VLAN floods to one forwarding member per LAG and never back into
// the ingress port's LAG (VLAN.excluded_lag_ports).
//
// # Stacking
//
// stack.go installs Faucet's stack flows from the DP's stack view
// (Learned.SetStack, from package faucet/stack): stack ports accept every
// VLAN tagged, floods go towards the root, away from it and locally as
// Faucet's stack switch managers build them, pruned stack ports drop
// broadcasts in eth_src, and hosts may be learned on stack ports.
//
// # Routing
//
// For VLANs with faucet_vips, vip.go installs Faucet's flows flow for flow
// (ValveRouteManager.add_vlan: _add_faucet_vip_nd, _add_faucet_fib_to_vip):
// eth_src selects, at priority 0x4000, each VLAN's ARP, its IPv4/IPv6
// packets to the Faucet MAC (to the FIB), NS to each VIP's solicited-node
// group and, with a link-local VIP, RS to ff02::2 (to the vip table); the
// FIB sends each VIP, each IPv6 subnet's top address and, with proactive
// learning, each connected subnet from every routed VLAN to the vip table,
// which punts ARP (64 bytes), ND, RS and echo (194, IPv4 ICMP 174) and
// other IP (194) to the controller and switches the rest (owners VIPOwner
// and OwnerVIP). route.go compiles FIB entries (Learned.SetRoute: host
// routes and resolved static/BGP prefixes, owner RouteOwner(prefix)):
// dec_ttl, the egress VLAN when routers exist, eth_src to the Faucet MAC,
// eth_dst to the neighbour, goto eth_dst, at priority 0x3000 + prefix
// length, as Faucet's _add_resolved_route does. controller/route decides
// which entries exist. testdata/route-*.flows hold Faucet's flows for an
// inter-VLAN case and Faucet's example, written from Faucet's source;
// route_golden_test.go compares them with the program on Open vSwitch.
//
// # Concurrency
//
// Compile, ParsePacket and Classify are pure and safe for concurrent use.
// A Learned value is not synchronised: one goroutine owns it. The package
// has no mutable package state.
package pipeline
