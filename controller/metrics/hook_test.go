package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/voipsdn/voipsdn/controller"
)

func TestHookFeedsCounters(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c, err := Register(reg, Options{DPs: StaticDPs{}, Config: StaticConfig{}, NoRuntime: true})
	if err != nil {
		t.Fatal(err)
	}
	c.DP(0xa1, "sw1")
	var h controller.TimingHook = c.Hook()
	h.OFError(0xa1, &controller.OFError{DPID: 0xa1})
	h.OFError(0xdead, &controller.OFError{DPID: 0xdead}) // unconfigured: not counted
	h.BatchWritten(0xa1, 3, 200, time.Millisecond)
	h.QueueWait(0xa1, time.Millisecond)
	h.HandlerDone(0xa1, "packet_in", 50*time.Microsecond)
	h.HandlerDone(0xa1, "unknown_event", time.Second)

	want := `
# HELP of_errors_total Number of OF errors received from DP.
# TYPE of_errors_total counter
of_errors_total{dp_id="0xa1",dp_name="sw1"} 1
# HELP voipsdn_of_messages_sent_total OpenFlow messages of any type written to a switch.
# TYPE voipsdn_of_messages_sent_total counter
voipsdn_of_messages_sent_total{dp_id="0xa1",dp_name="sw1"} 3
# HELP voipsdn_of_sent_bytes_total Bytes of OpenFlow messages written to a switch.
# TYPE voipsdn_of_sent_bytes_total counter
voipsdn_of_sent_bytes_total{dp_id="0xa1",dp_name="sw1"} 200
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"of_errors_total", "voipsdn_of_messages_sent_total", "voipsdn_of_sent_bytes_total"); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if hst := m.GetHistogram(); hst != nil {
				counts[mf.GetName()] += hst.GetSampleCount()
			}
		}
	}
	if counts["faucet_packet_in_secs"] != 1 || counts["voipsdn_of_handler_seconds"] != 1 || counts["voipsdn_of_queue_wait_seconds"] != 1 {
		t.Errorf("histogram sample counts %v", counts)
	}
	problems, err := testutil.GatherAndLint(reg, "voipsdn_of_queue_wait_seconds", "voipsdn_of_handler_seconds",
		"voipsdn_of_messages_sent_total", "voipsdn_of_sent_bytes_total")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
	c.RemoveDP(0xa1, "sw1")
	h.OFError(0xa1, &controller.OFError{})
	if n, _ := testutil.GatherAndCount(reg, "voipsdn_of_handler_seconds", "of_errors_total"); n != 0 {
		t.Errorf("%d series left after RemoveDP", n)
	}
}
