package metrics_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/voipsdn/voipsdn/controller/metrics"
)

// The runtime implements DPSource over its own state; StaticDPs stands in
// for it here. The packet path bumps bound counters only.
func ExampleRegister() {
	reg := prometheus.NewRegistry()
	dps := metrics.StaticDPs{{ID: 0x1, Name: "sw1", Connected: true,
		Ports: []metrics.Port{{Number: 1, Name: "phone1", Up: true}}}}
	counters, err := metrics.Register(reg, metrics.Options{DPs: dps, Config: metrics.StaticConfig{}, NoRuntime: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	sw1 := counters.DP(0x1, "sw1") // once, when sw1 is configured
	sw1.PacketIns.Inc()            // per packet-in

	n, _ := testutil.GatherAndCount(reg, "dp_status", "port_status", "of_packet_ins_total")
	fmt.Println(n, "series")
	addr, _ := metrics.ListenAddr("", func(k string) string {
		return map[string]string{metrics.EnvPort: "9302"}[k]
	})
	fmt.Println(strings.TrimSpace(addr))
	// Output:
	// 3 series
	// :9302
}
