package dashboards

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/voipsdn/voipsdn/internal/promlab"
)

// grafanaVars stands in for the dashboards' template variables.
var grafanaVars = strings.NewReplacer("$dp_name", ".*", "$port", ".*", "$server", ".*", "$__rate_interval", "1m")

// TestDashboardQueriesOnPrometheus scrapes the exporters (fed by fakes)
// with a real Prometheus and runs every dashboard query against it: each
// must parse and, once a few scrapes are in, return data.
func TestDashboardQueriesOnPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	reg := prometheus.NewRegistry()
	exportedOn(t, reg)
	ts := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer ts.Close()
	// Faucet's recording rules (shared/, beside the repository) run too.
	var rules []string
	const rulesFile = "../../shared/faucet-configs/examples/prometheus/faucet.rules.yml"
	if _, err := os.Stat(rulesFile); err == nil {
		rules = append(rules, rulesFile)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("no %s: %v", rulesFile, err)
	}
	p := promlab.Start(t, promlab.Options{Targets: []string{strings.TrimPrefix(ts.URL, "http://")}, RuleFiles: rules})

	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, db := range all {
		for _, ql := range queries(t, db.File, db.JSON) {
			expr := ql[0]
			if strings.Contains(expr, "python_info") {
				continue
			}
			if m := grafanaLabelValues.FindStringSubmatch(expr); m != nil {
				expr = m[1]
			} else if m := grafanaQueryResult.FindStringSubmatch(expr); m != nil {
				expr = m[1]
			}
			expr = grafanaVars.Replace(expr)
			if _, err := p.WaitForSeries(ctx, expr); err != nil {
				t.Errorf("%s: %q: %v", db.File, ql[0], err)
			}
		}
	}
	if len(rules) > 0 {
		for _, rec := range []string{"instance_vlan:vlan_hosts_learned:sum", "instance_vlan_dpid:vlan_hosts_learned:sum",
			"port_dpid:port_vlan_hosts_learned:sum", "port_vlan_dpid:port_vlan_hosts_learned:sum"} {
			if _, err := p.WaitForSeries(ctx, rec); err != nil {
				t.Errorf("Faucet recording rule %s: %v", rec, err)
			}
		}
	}
}
