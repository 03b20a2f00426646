package stats

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/voipsdn/voipsdn/controller/metrics"
)

var (
	portLabels  = []string{metrics.LabelDPID, metrics.LabelDPName, metrics.LabelPort, metrics.LabelPortDescription}
	meterLabels = []string{metrics.LabelDPID, metrics.LabelDPName, "meter_id"}
	tableLabels = []string{metrics.LabelDPID, metrics.LabelDPName, "table_id"}
	dpOnly      = []string{metrics.LabelDPID, metrics.LabelDPName}

	tableEntriesDesc = prometheus.NewDesc("voipsdn_flow_table_entries",
		"Flows in an OpenFlow table at the last flow stats poll.",
		[]string{metrics.LabelDPID, metrics.LabelDPName, "table_id", "table_name"}, nil)
	pollSuccessDesc = prometheus.NewDesc("voipsdn_stats_poll_success",
		"Whether the last statistics poll of this kind succeeded (1) or failed (0).",
		[]string{metrics.LabelDPID, metrics.LabelDPName, "kind"}, nil)
	callMetersDesc = prometheus.NewDesc("voipsdn_call_meters",
		"Per-call QoS meters on the switch at the last meter poll.", dpOnly, nil)
	callMeterInPacketsDesc = prometheus.NewDesc("voipsdn_call_meter_in_packets",
		"Packets that entered per-call meters, summed over the meters present at the last poll.", dpOnly, nil)
	callMeterInBytesDesc = prometheus.NewDesc("voipsdn_call_meter_in_bytes",
		"Bytes that entered per-call meters, summed over the meters present at the last poll.", dpOnly, nil)
	callMeterBandPacketsDesc = prometheus.NewDesc("voipsdn_call_meter_band_packets",
		"Packets over rate (dropped) in per-call meters, summed over the meters present at the last poll.", dpOnly, nil)
	callMeterBandBytesDesc = prometheus.NewDesc("voipsdn_call_meter_band_bytes",
		"Bytes over rate (dropped) in per-call meters, summed over the meters present at the last poll.", dpOnly, nil)
	pollDurationDesc = prometheus.NewDesc("voipsdn_stats_poll_duration_seconds",
		"Duration of the last statistics poll of this kind.",
		[]string{metrics.LabelDPID, metrics.LabelDPName, "kind"}, nil)
)

// Gauge exports every value as a gauge with empty help; we keep the names,
// labels and type and add help text.
func portDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("of_port_"+name, help, portLabels, nil)
}

func meterDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("of_meter_"+name, help, meterLabels, nil)
}

var (
	rxPackets = portDesc("rx_packets", "Packets received on the port (OFPMP_PORT_STATS).")
	txPackets = portDesc("tx_packets", "Packets sent on the port.")
	rxBytes   = portDesc("rx_bytes", "Bytes received on the port.")
	txBytes   = portDesc("tx_bytes", "Bytes sent on the port.")
	rxDropped = portDesc("rx_dropped", "Packets dropped on receive.")
	txDropped = portDesc("tx_dropped", "Packets dropped on send.")
	rxErrors  = portDesc("rx_errors", "Receive errors.")
	txErrors  = portDesc("tx_errors", "Send errors.")
	pState    = portDesc("state", "Port state bits (OFPPS_LINK_DOWN 1, BLOCKED 2, LIVE 4).")
	pReason   = portDesc("reason", "Reason of the last port status message (OFPPR_ADD 0, DELETE 1, MODIFY 2).")
	pCurr     = portDesc("curr_speed", "Current port speed in kbps.")
	pMax      = portDesc("max_speed", "Maximum port speed in kbps.")

	mFlows      = meterDesc("flow_count", "Flows using the meter.")
	mBytesIn    = meterDesc("byte_in_count", "Bytes entering the meter.")
	mPacketsIn  = meterDesc("packet_in_count", "Packets entering the meter.")
	mBytesBand  = meterDesc("byte_band_count", "Bytes handled by the meter's first band.")
	mPacketBand = meterDesc("packet_band_count", "Packets handled by the meter's first band.")
)

// Register registers the collector that serves the poller's cache on reg.
func (p *Poller) Register(reg prometheus.Registerer) error {
	if err := reg.Register(collector{p}); err != nil {
		return fmt.Errorf("stats: register: %w", err)
	}
	return nil
}

// collector reads the cache. flow_*_count_<table> names depend on the
// pipeline, so it is an unchecked collector (Describe sends nothing).
type collector struct{ p *Poller }

// Describe sends nothing: the metric names depend on the tables polled.
func (collector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the cache only; it never talks to a switch.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, e := range c.p.snapshot() {
		collectEntry(ch, e)
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, l ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
}

// counter sends a port counter unless the switch does not keep it.
func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, l ...string) {
	if v != Unsupported {
		gauge(ch, d, float64(v), l...)
	}
}

func collectEntry(ch chan<- prometheus.Metric, e *entry) {
	t := e.run.target
	id := metrics.DPID(t.DPID)
	for k := kind(0); k < numKinds; k++ {
		h := e.health[k]
		if !h.polled {
			continue
		}
		ok := 0.0
		if h.ok {
			ok = 1
		}
		gauge(ch, pollSuccessDesc, ok, id, t.DPName, k.String())
		gauge(ch, pollDurationDesc, h.took.Seconds(), id, t.DPName, k.String())
	}
	for _, s := range e.ports {
		name, descr := portLabelValues(t, s.Port)
		l := []string{id, t.DPName, name, descr}
		counter(ch, rxPackets, s.RxPackets, l...)
		counter(ch, txPackets, s.TxPackets, l...)
		counter(ch, rxBytes, s.RxBytes, l...)
		counter(ch, txBytes, s.TxBytes, l...)
		counter(ch, rxDropped, s.RxDropped, l...)
		counter(ch, txDropped, s.TxDropped, l...)
		counter(ch, rxErrors, s.RxErrors, l...)
		counter(ch, txErrors, s.TxErrors, l...)
	}
	for _, d := range e.descs {
		name, descr := portLabelValues(t, d.Port)
		l := []string{id, t.DPName, name, descr}
		gauge(ch, pState, float64(d.State), l...)
		gauge(ch, pCurr, float64(d.CurrSpeed), l...)
		gauge(ch, pMax, float64(d.MaxSpeed), l...)
		if r, ok := e.reasons[d.Port]; ok {
			gauge(ch, pReason, float64(r), l...)
		}
	}
	for _, m := range e.meters {
		l := []string{id, t.DPName, strconv.FormatUint(uint64(m.MeterID), 10)}
		gauge(ch, mFlows, float64(m.FlowCount), l...)
		counter(ch, mBytesIn, m.ByteInCount, l...)
		counter(ch, mPacketsIn, m.PacketInCount, l...)
		counter(ch, mBytesBand, m.ByteBandCount, l...)
		counter(ch, mPacketBand, m.PacketBandCount, l...)
	}
	if e.run.target.CallMeter != nil && e.health[kindMeter].polled {
		cm := e.callMeters
		gauge(ch, callMetersDesc, float64(cm.meters), id, t.DPName)
		gauge(ch, callMeterInPacketsDesc, float64(cm.packetsIn), id, t.DPName)
		gauge(ch, callMeterInBytesDesc, float64(cm.bytesIn), id, t.DPName)
		gauge(ch, callMeterBandPacketsDesc, float64(cm.packetsBand), id, t.DPName)
		gauge(ch, callMeterBandBytesDesc, float64(cm.bytesBand), id, t.DPName)
	}
	for _, tt := range e.tables {
		name := tableName(t, tt.id)
		tid := strconv.Itoa(int(tt.id))
		gauge(ch, tableEntriesDesc, float64(tt.flows), id, t.DPName, tid, name)
		gauge(ch, flowDesc("flow_byte_count_"+name), float64(tt.bytes), id, t.DPName, tid)
		gauge(ch, flowDesc("flow_packet_count_"+name), float64(tt.packets), id, t.DPName, tid)
	}
}

func flowDesc(name string) *prometheus.Desc {
	return prometheus.NewDesc(name, "Sum over the table's flows (Gauge's flow table metric, without per-flow match labels).", tableLabels, nil)
}

func portLabelValues(t Target, port uint32) (name, descr string) {
	if t.PortLabels != nil {
		name, descr = t.PortLabels(port)
	}
	if name == "" {
		name = metrics.PortName(port)
	}
	if descr == "" {
		descr = name
	}
	return name, descr
}

// tableName returns a table's name made safe for a metric name.
func tableName(t Target, id uint8) string {
	name := ""
	if t.TableName != nil {
		name = t.TableName(id)
	}
	if name == "" {
		return "table" + strconv.Itoa(int(id))
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, name)
}
