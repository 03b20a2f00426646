package metrics

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	dpLabels   = []string{LabelDPID, LabelDPName}
	portLabels = []string{LabelDPID, LabelDPName, LabelPort, LabelPortDescription}
	vlanLabels = []string{LabelDPID, LabelDPName, LabelVLAN}

	dpStatusDesc = prometheus.NewDesc("dp_status",
		"Status of datapaths (1 connected, 0 not).", dpLabels, nil)
	dpDescStatsDesc = prometheus.NewDesc("of_dp_desc_stats",
		"DP description (OFPDescStatsReply); the value is the DP ID.",
		append(dpLabels[:2:2], "mfr_desc", "hw_desc", "sw_desc", "serial_num", "dp_desc"), nil)
	dpNameDesc = prometheus.NewDesc("faucet_config_dp_name",
		"Map of DP name to DP ID; the value is the DP ID.", []string{LabelDPID, "name"}, nil)
	tableNamesDesc = prometheus.NewDesc("faucet_config_table_names",
		"Number to names map of FAUCET pipeline tables; the value is the table ID.",
		append(dpLabels[:2:2], "table_name", "next_tables"), nil)
	portStatusDesc = prometheus.NewDesc("port_status",
		"Status of switch ports (1 up, 0 down).", portLabels, nil)
	portLearnBansDesc = prometheus.NewDesc("port_learn_bans",
		"Number of times learning was banned on a port.", portLabels, nil)
	vlanHostsDesc = prometheus.NewDesc("vlan_hosts_learned",
		"Number of hosts learned on a VLAN.", vlanLabels, nil)
	vlanLearnBansDesc = prometheus.NewDesc("vlan_learn_bans",
		"Number of times learning was banned on a VLAN.", vlanLabels, nil)
	vlanNeighborsDesc = prometheus.NewDesc("vlan_neighbors",
		"Number of L3 neighbors on a VLAN (whether resolved to L2 addresses, or not).",
		append(vlanLabels[:3:3], "ipv"), nil)
	portVLANHostsDesc = prometheus.NewDesc("port_vlan_hosts_learned",
		"Number of hosts learned on a port and VLAN.", append(portLabels[:4:4], LabelVLAN), nil)
	learnedMACsDesc = prometheus.NewDesc("learned_macs",
		"MAC address stored as 64bit number to DP ID, port, VLAN, and n (discrete index).",
		append(portLabels[:4:4], LabelVLAN, "n"), nil)
	portLACPStateDesc = prometheus.NewDesc("port_lacp_state",
		"state of LACP on a port", portLabels, nil)
	portLACPRoleDesc = prometheus.NewDesc("port_lacp_role",
		"LACP role of a port", portLabels, nil)
	lacpPortIDDesc = prometheus.NewDesc("lacp_port_id",
		"lacp port ID for for port", portLabels, nil)
	portLACPChangesDesc = prometheus.NewDesc("port_lacp_state_change_count_total",
		"number of changes in port lacp state", portLabels, nil)
	portStackStateDesc = prometheus.NewDesc("port_stack_state",
		"state of stacking on a port", portLabels, nil)
	portStackChangesDesc = prometheus.NewDesc("port_stack_state_change_count_total",
		"number of changes in port stack state", portLabels, nil)
	dpRootHopPortDesc = prometheus.NewDesc("dp_root_hop_port",
		"port that leads to stack root DP", dpLabels, nil)
	isStackRootDesc = prometheus.NewDesc("is_dp_stack_root",
		"bool indicating if dp is stack root", dpLabels, nil)
	stackCablingDesc = prometheus.NewDesc("stack_cabling_errors_total",
		"number of cabling errors detected in all FAUCET stacks", dpLabels, nil)
	stackProbesDesc = prometheus.NewDesc("stack_probes_received_total",
		"number of stacking messages received", dpLabels, nil)
	bgpUptimeDesc = prometheus.NewDesc("bgp_neighbor_uptime",
		"BGP neighbor uptime in seconds.", append(vlanLabels[:3:3], "neighbor"), nil)
	bgpRoutesDesc = prometheus.NewDesc("bgp_neighbor_routes",
		"BGP neighbor route count.", append(vlanLabels[:3:3], "neighbor", "ipv"), nil)
)

// dpCollector reads a DPSource at scrape time.
type dpCollector struct {
	src DPSource
}

// Describe sends the descriptors of every metric the collector may emit.
func (c dpCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		dpStatusDesc, dpDescStatsDesc, dpNameDesc, tableNamesDesc,
		portStatusDesc, portLearnBansDesc, vlanHostsDesc, vlanLearnBansDesc,
		vlanNeighborsDesc, portVLANHostsDesc, learnedMACsDesc, bgpUptimeDesc, bgpRoutesDesc,
		portLACPStateDesc, portLACPRoleDesc, lacpPortIDDesc, portLACPChangesDesc,
		portStackStateDesc, portStackChangesDesc, dpRootHopPortDesc, isStackRootDesc,
		stackCablingDesc, stackProbesDesc,
	} {
		ch <- d
	}
}

// Collect walks the source once. It is safe for concurrent scrapes as long
// as the source is.
func (c dpCollector) Collect(ch chan<- prometheus.Metric) {
	c.src.EachDP(func(dp *DP) { collectDP(ch, dp) })
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func collectDP(ch chan<- prometheus.Metric, dp *DP) {
	id := DPID(dp.ID)
	gauge(ch, dpStatusDesc, boolValue(dp.Connected), id, dp.Name)
	gauge(ch, dpNameDesc, float64(dp.ID), id, dp.Name)
	if d := dp.Desc; d != nil {
		gauge(ch, dpDescStatsDesc, float64(dp.ID), id, dp.Name,
			d.Manufacturer, d.Hardware, d.Software, d.SerialNum, d.DPDesc)
	}
	// Faucet's reset_dpid gives every DP these, stacked or not.
	gauge(ch, isStackRootDesc, boolValue(dp.Stack != nil && dp.Stack.Root), id, dp.Name)
	counter(ch, stackProbesDesc, float64(dp.StackProbes), id, dp.Name)
	counter(ch, stackCablingDesc, float64(dp.CablingErrors), id, dp.Name)
	if s := dp.Stack; s != nil {
		gauge(ch, dpRootHopPortDesc, float64(s.RootHopPort), id, dp.Name)
	}
	for _, t := range dp.Tables {
		gauge(ch, tableNamesDesc, float64(t.ID), id, dp.Name, t.Name, strings.Join(t.NextTables, ","))
	}
	names := make(map[uint32][2]string, len(dp.Ports))
	for _, p := range dp.Ports {
		name, descr := portNames(p)
		names[p.Number] = [2]string{name, descr}
		gauge(ch, portStatusDesc, boolValue(p.Up), id, dp.Name, name, descr)
		gauge(ch, portLearnBansDesc, float64(p.LearnBans), id, dp.Name, name, descr)
		if l := p.LACP; l != nil {
			gauge(ch, portLACPStateDesc, float64(l.State), id, dp.Name, name, descr)
			gauge(ch, portLACPRoleDesc, float64(l.Role), id, dp.Name, name, descr)
			gauge(ch, lacpPortIDDesc, float64(l.PortID), id, dp.Name, name, descr)
			counter(ch, portLACPChangesDesc, float64(l.Changes), id, dp.Name, name, descr)
		}
		if s := p.Stack; s != nil {
			gauge(ch, portStackStateDesc, float64(s.State), id, dp.Name, name, descr)
			counter(ch, portStackChangesDesc, float64(s.Changes), id, dp.Name, name, descr)
		}
	}
	for _, v := range dp.VLANs {
		vid := strconv.Itoa(int(v.VID))
		gauge(ch, vlanHostsDesc, float64(v.HostsLearned), id, dp.Name, vid)
		gauge(ch, vlanLearnBansDesc, float64(v.LearnBans), id, dp.Name, vid)
		gauge(ch, vlanNeighborsDesc, float64(v.IPv4Neighbors), id, dp.Name, vid, "4")
		gauge(ch, vlanNeighborsDesc, float64(v.IPv6Neighbors), id, dp.Name, vid, "6")
	}
	for _, b := range dp.BGP {
		vid := strconv.Itoa(int(b.VID))
		gauge(ch, bgpUptimeDesc, b.UptimeSecs, id, dp.Name, vid, b.Neighbor)
		gauge(ch, bgpRoutesDesc, float64(b.IPv4Routes), id, dp.Name, vid, b.Neighbor, "4")
		gauge(ch, bgpRoutesDesc, float64(b.IPv6Routes), id, dp.Name, vid, b.Neighbor, "6")
	}
	if dp.EachHost != nil {
		collectHosts(ch, dp, id, names)
	}
}

// portNames applies Faucet's defaults: the name is the number unless
// configured, the description is the name unless configured.
func portNames(p Port) (name, descr string) {
	name = p.Name
	if name == "" {
		name = PortName(p.Number)
	}
	descr = p.Description
	if descr == "" {
		descr = name
	}
	return name, descr
}

type portVLAN struct {
	port uint32
	vid  uint16
}

// collectHosts emits learned_macs (one series per host, n counting within
// its port and VLAN) and port_vlan_hosts_learned.
func collectHosts(ch chan<- prometheus.Metric, dp *DP, id string, names map[uint32][2]string) {
	counts := make(map[portVLAN]int)
	dp.EachHost(func(h Host) {
		key := portVLAN{h.Port, h.VID}
		n := counts[key]
		counts[key] = n + 1
		pn, ok := names[h.Port]
		if !ok {
			pn[0] = PortName(h.Port)
			pn[1] = pn[0]
		}
		gauge(ch, learnedMACsDesc, macValue(h.MAC), id, dp.Name, pn[0], pn[1],
			strconv.Itoa(int(h.VID)), strconv.Itoa(n))
	})
	for key, n := range counts {
		pn, ok := names[key.port]
		if !ok {
			pn[0] = PortName(key.port)
			pn[1] = pn[0]
		}
		gauge(ch, portVLANHostsDesc, float64(n), id, dp.Name, pn[0], pn[1], strconv.Itoa(int(key.vid)))
	}
}

// macValue is a MAC address as the 48-bit number Faucet exports.
func macValue(mac []byte) float64 {
	var v uint64
	for _, b := range mac {
		v = v<<8 | uint64(b)
	}
	return float64(v)
}
