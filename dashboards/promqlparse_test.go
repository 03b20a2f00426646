package dashboards

import (
	"reflect"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in       string
		want     []selector
		grouping []string
	}{
		{`rate(of_port_rx_bytes{dp_name=~"$dp_name", port=~"$port"}[1m]) * 8`,
			[]selector{{"of_port_rx_bytes", []string{"dp_name", "port"}}}, nil},
		{`count(dp_status{job="faucet"} == 1)`, []selector{{"dp_status", []string{"job"}}}, nil},
		{`sum(vlan_hosts_learned) BY (instance, vlan)`, []selector{{"vlan_hosts_learned", nil}}, []string{"instance", "vlan"}},
		{`histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket{le="0.5", a="}"}[5m])))`,
			[]selector{{"x_seconds_bucket", []string{"le", "a"}}}, []string{"le"}},
		{`label_values(of_port_rx_bytes, dp_name)`, []selector{{"of_port_rx_bytes", []string{"dp_name"}}}, nil},
		{`query_result(port_status{dp_name =~ "$dp_name"})`, []selector{{"port_status", []string{"dp_name"}}}, nil},
		{`a / clamp_min(b, 1e-9) or vector(0)`, []selector{{"a", nil}, {"b", nil}}, nil},
		{`python_info`, []selector{{"python_info", nil}}, nil},
	}
	for _, tc := range tests {
		q := parseQuery(tc.in)
		if !reflect.DeepEqual(q.selectors, tc.want) || !reflect.DeepEqual(q.grouping, tc.grouping) {
			t.Errorf("parseQuery(%q) = %+v, %v; want %+v, %v", tc.in, q.selectors, q.grouping, tc.want, tc.grouping)
		}
	}
}
