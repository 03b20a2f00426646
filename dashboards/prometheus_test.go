package dashboards

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/voipsdn/voipsdn/internal/promlab"
)

// prometheusOnExporters starts a real Prometheus scraping the exporters
// (fed by fakes), with the given recording rule files.
func prometheusOnExporters(t *testing.T, rules []string) *promlab.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	exportedOn(t, reg)
	ts := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(ts.Close)
	return promlab.Start(t, promlab.Options{Targets: []string{strings.TrimPrefix(ts.URL, "http://")}, RuleFiles: rules})
}

// grafanaVars stands in for the dashboards' template variables.
var grafanaVars = strings.NewReplacer("$dp_name", ".*", "$port", ".*", "$server", ".*", "$__rate_interval", "1m")

// TestDashboardQueriesOnPrometheus scrapes the exporters (fed by fakes)
// with a real Prometheus and runs every dashboard query against it: each
// must parse and, once a few scrapes are in, return data.
func TestDashboardQueriesOnPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	p := prometheusOnExporters(t, nil)

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
}
