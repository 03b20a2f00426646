package metrics

import (
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func testDP() DP {
	return DP{
		ID: 0x1, Name: "sw1", Connected: true,
		Desc: &DescStats{Manufacturer: "Nicira, Inc.", Hardware: "Open vSwitch", Software: "3.1.0", SerialNum: "None", DPDesc: "br0"},
		Ports: []Port{
			{Number: 1, Name: "phone1", Description: "desk phone", Up: true},
			{Number: 2, Up: false, LearnBans: 3},
		},
		VLANs:  []VLAN{{VID: 100, HostsLearned: 2, IPv4Neighbors: 1}},
		Tables: []Table{{ID: 0, Name: "vlan", NextTables: []string{"eth_src"}}},
		BGP:    []BGPNeighbor{{VID: 100, Neighbor: "10.0.0.2", UptimeSecs: 42, IPv4Routes: 7}},
		EachHost: func(fn func(Host)) {
			fn(Host{Port: 1, VID: 100, MAC: net.HardwareAddr{0, 0, 0, 0, 0, 1}})
			fn(Host{Port: 1, VID: 100, MAC: net.HardwareAddr{0, 0, 0, 0, 1, 0}})
		},
	}
}

func TestDPCollectorExposition(t *testing.T) {
	c := dpCollector{StaticDPs{testDP()}}
	want := `
# HELP dp_status Status of datapaths (1 connected, 0 not).
# TYPE dp_status gauge
dp_status{dp_id="0x1",dp_name="sw1"} 1
# HELP port_status Status of switch ports (1 up, 0 down).
# TYPE port_status gauge
port_status{dp_id="0x1",dp_name="sw1",port="2",port_description="2"} 0
port_status{dp_id="0x1",dp_name="sw1",port="phone1",port_description="desk phone"} 1
# HELP port_learn_bans Number of times learning was banned on a port.
# TYPE port_learn_bans gauge
port_learn_bans{dp_id="0x1",dp_name="sw1",port="2",port_description="2"} 3
port_learn_bans{dp_id="0x1",dp_name="sw1",port="phone1",port_description="desk phone"} 0
# HELP learned_macs MAC address stored as 64bit number to DP ID, port, VLAN, and n (discrete index).
# TYPE learned_macs gauge
learned_macs{dp_id="0x1",dp_name="sw1",n="0",port="phone1",port_description="desk phone",vlan="100"} 1
learned_macs{dp_id="0x1",dp_name="sw1",n="1",port="phone1",port_description="desk phone",vlan="100"} 256
# HELP port_vlan_hosts_learned Number of hosts learned on a port and VLAN.
# TYPE port_vlan_hosts_learned gauge
port_vlan_hosts_learned{dp_id="0x1",dp_name="sw1",port="phone1",port_description="desk phone",vlan="100"} 2
# HELP vlan_neighbors Number of L3 neighbors on a VLAN (whether resolved to L2 addresses, or not).
# TYPE vlan_neighbors gauge
vlan_neighbors{dp_id="0x1",dp_name="sw1",ipv="4",vlan="100"} 1
vlan_neighbors{dp_id="0x1",dp_name="sw1",ipv="6",vlan="100"} 0
# HELP bgp_neighbor_routes BGP neighbor route count.
# TYPE bgp_neighbor_routes gauge
bgp_neighbor_routes{dp_id="0x1",dp_name="sw1",ipv="4",neighbor="10.0.0.2",vlan="100"} 7
bgp_neighbor_routes{dp_id="0x1",dp_name="sw1",ipv="6",neighbor="10.0.0.2",vlan="100"} 0
# HELP of_dp_desc_stats DP description (OFPDescStatsReply); the value is the DP ID.
# TYPE of_dp_desc_stats gauge
of_dp_desc_stats{dp_desc="br0",dp_id="0x1",dp_name="sw1",hw_desc="Open vSwitch",mfr_desc="Nicira, Inc.",serial_num="None",sw_desc="3.1.0"} 1
# HELP faucet_config_table_names Number to names map of FAUCET pipeline tables; the value is the table ID.
# TYPE faucet_config_table_names gauge
faucet_config_table_names{dp_id="0x1",dp_name="sw1",next_tables="eth_src",table_name="vlan"} 0
`
	names := []string{"dp_status", "port_status", "port_learn_bans", "learned_macs", "port_vlan_hosts_learned",
		"vlan_neighbors", "bgp_neighbor_routes", "of_dp_desc_stats", "faucet_config_table_names"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}

func TestConfigCollector(t *testing.T) {
	c := configCollector{StaticConfig{LoadError: true, Applied: 0.5, Files: []string{"/etc/faucet/faucet.yaml", "/etc/faucet/acls.yaml"},
		Hashes: []string{"aa", "bb"}, HashFunc: "sha256", EventID: 9}}
	want := `
# HELP faucet_config_hash_info File hashes for last successful config.
# TYPE faucet_config_hash_info gauge
faucet_config_hash_info{config_files="/etc/faucet/faucet.yaml,/etc/faucet/acls.yaml",hashes="aa,bb"} 1
# HELP faucet_config_load_error 1 if last attempt to re/load config failed.
# TYPE faucet_config_load_error gauge
faucet_config_load_error 1
# HELP faucet_config_applied Fraction of DPs that we have tried to apply config to.
# TYPE faucet_config_applied gauge
faucet_config_applied 0.5
# HELP faucet_config_hash_func Algorithm used to compute config hashes.
# TYPE faucet_config_hash_func gauge
faucet_config_hash_func{algorithm="sha256"} 1
# HELP faucet_event_id Highest/most recent event ID to be sent.
# TYPE faucet_event_id gauge
faucet_event_id 9
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestCountersExistAtZeroAndCount(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c, err := Register(reg, Options{DPs: StaticDPs{}, Config: StaticConfig{}, NoRuntime: true})
	if err != nil {
		t.Fatal(err)
	}
	dp := c.DP(0xe01, "sw2")
	if n, _ := testutil.GatherAndCount(reg, "of_packet_ins_total"); n != 1 {
		t.Fatalf("of_packet_ins_total series before any packet-in = %d, want 1", n)
	}
	dp.PacketIns.Inc()
	dp.PacketIns.Inc()
	dp.Errors.Inc()
	want := `
# HELP of_packet_ins_total Number of OF packet_ins received from DP.
# TYPE of_packet_ins_total counter
of_packet_ins_total{dp_id="0xe01",dp_name="sw2"} 2
# HELP of_errors_total Number of OF errors received from DP.
# TYPE of_errors_total counter
of_errors_total{dp_id="0xe01",dp_name="sw2"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "of_packet_ins_total", "of_errors_total"); err != nil {
		t.Fatal(err)
	}
	c.RemoveDP(0xe01, "sw2")
	if n, _ := testutil.GatherAndCount(reg, "of_packet_ins_total"); n != 0 {
		t.Fatalf("series after RemoveDP = %d, want 0", n)
	}
}

func TestRegisterTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := Options{DPs: StaticDPs{}, Config: StaticConfig{}}
	if _, err := Register(reg, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := Register(reg, opts); err == nil {
		t.Fatal("second Register on the same registry succeeded")
	}
	// A second registry is independent: no global state.
	if _, err := Register(prometheus.NewRegistry(), opts); err != nil {
		t.Fatal(err)
	}
}

func TestDPIDAndPortName(t *testing.T) {
	for in, want := range map[uint64]string{1: "0x1", 0xe01: "0xe01", 0xABCDEF: "0xabcdef"} {
		if got := DPID(in); got != want {
			t.Errorf("DPID(%#x) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[uint32]string{3: "3", 0xfffffffe: "LOCAL", 0xfffffffd: "CONTROLLER"} {
		if got := PortName(in); got != want {
			t.Errorf("PortName(%d) = %q, want %q", in, got, want)
		}
	}
}
