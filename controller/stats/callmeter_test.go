package stats

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type meterSwitch struct {
	*fakeSwitch
	ms []MeterStats
}

func (m meterSwitch) MeterStats(context.Context) ([]MeterStats, error) { return m.ms, nil }

func TestCallMetersAreSummed(t *testing.T) {
	p := New(Options{PortInterval: time.Hour, FlowInterval: time.Hour, MeterInterval: time.Hour})
	reg := prometheus.NewPedanticRegistry()
	if err := p.Register(reg); err != nil {
		t.Fatal(err)
	}
	sw := meterSwitch{newFake(), []MeterStats{
		{MeterID: 2, FlowCount: 1, PacketInCount: 1},
		{MeterID: 1000, FlowCount: 2, PacketInCount: 10, ByteInCount: 100, PacketBandCount: 1, ByteBandCount: 50},
		{MeterID: 1001, FlowCount: 2, PacketInCount: 20, ByteInCount: 200, PacketBandCount: Unsupported, ByteBandCount: 70},
	}}
	tg := target(sw)
	tg.CallMeter = func(id uint32) bool { return id >= 1000 }
	start(t, p, tg)
	waitFor(t, "first poll", func() bool { return allPolled(p) })
	want := `
# HELP of_meter_packet_in_count Packets entering the meter.
# TYPE of_meter_packet_in_count gauge
of_meter_packet_in_count{dp_id="0x1",dp_name="sw1",meter_id="2"} 1
# HELP voipsdn_call_meters Per-call QoS meters on the switch at the last meter poll.
# TYPE voipsdn_call_meters gauge
voipsdn_call_meters{dp_id="0x1",dp_name="sw1"} 2
# HELP voipsdn_call_meter_in_packets Packets that entered per-call meters, summed over the meters present at the last poll.
# TYPE voipsdn_call_meter_in_packets gauge
voipsdn_call_meter_in_packets{dp_id="0x1",dp_name="sw1"} 30
# HELP voipsdn_call_meter_band_packets Packets over rate (dropped) in per-call meters, summed over the meters present at the last poll.
# TYPE voipsdn_call_meter_band_packets gauge
voipsdn_call_meter_band_packets{dp_id="0x1",dp_name="sw1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "of_meter_packet_in_count", "voipsdn_call_meters",
		"voipsdn_call_meter_in_packets", "voipsdn_call_meter_band_packets"); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg, "voipsdn_call_meters", "voipsdn_call_meter_in_packets",
		"voipsdn_call_meter_in_bytes", "voipsdn_call_meter_band_packets", "voipsdn_call_meter_band_bytes")
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		t.Errorf("lint %s: %s", pr.Metric, pr.Text)
	}
}
