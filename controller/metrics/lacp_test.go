package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestLACPPortMetrics: LACP ports export Faucet's LACP series under
// Faucet's names; other ports export none.
func TestLACPPortMetrics(t *testing.T) {
	dp := DP{ID: 1, Name: "sw1", Ports: []Port{
		{Number: 1, Up: true, LACP: &PortLACP{State: 3, Role: 2, PortID: 1, Changes: 4}},
		{Number: 2, Up: true},
	}}
	want := `
# HELP port_lacp_state state of LACP on a port
# TYPE port_lacp_state gauge
port_lacp_state{dp_id="0x1",dp_name="sw1",port="1",port_description="1"} 3
# HELP port_lacp_role LACP role of a port
# TYPE port_lacp_role gauge
port_lacp_role{dp_id="0x1",dp_name="sw1",port="1",port_description="1"} 2
# HELP lacp_port_id lacp port ID for for port
# TYPE lacp_port_id gauge
lacp_port_id{dp_id="0x1",dp_name="sw1",port="1",port_description="1"} 1
# HELP port_lacp_state_change_count_total number of changes in port lacp state
# TYPE port_lacp_state_change_count_total counter
port_lacp_state_change_count_total{dp_id="0x1",dp_name="sw1",port="1",port_description="1"} 4
`
	c := dpCollector{StaticDPs{dp}}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"port_lacp_state", "port_lacp_role", "lacp_port_id", "port_lacp_state_change_count_total"); err != nil {
		t.Fatal(err)
	}
}
