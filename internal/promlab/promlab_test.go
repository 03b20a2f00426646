package promlab

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestScrapesATarget(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "promlab_test_value", Help: "A test value."}, []string{"dp_name"})
	reg.MustRegister(g)
	g.WithLabelValues("sw1").Set(42)
	ts := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer ts.Close()

	p := Start(t, Options{Targets: []string{strings.TrimPrefix(ts.URL, "http://")}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := p.WaitForSeries(ctx, `promlab_test_value{job="faucet"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Value != 42 || got[0].Labels["dp_name"] != "sw1" {
		t.Fatalf("got %+v, want one sample 42 with dp_name sw1", got)
	}
	// A changed value arrives with a later scrape.
	g.WithLabelValues("sw1").Set(7)
	if _, err := p.WaitFor(ctx, `promlab_test_value`, func(r []Sample) bool { return len(r) == 1 && r[0].Value == 7 }); err != nil {
		t.Fatal(err)
	}
	up, err := p.Query(ctx, `up{job="faucet"}`)
	if err != nil || len(up) != 1 || up[0].Value != 1 {
		t.Fatalf("up = %+v, %v", up, err)
	}
	if _, err := p.Query(ctx, `rate(`); err == nil {
		t.Fatal("a malformed query returned no error")
	}
}

func TestConfigHasJobAndInterval(t *testing.T) {
	dir := t.TempDir()
	path, err := writeConfig(dir, Options{Targets: []string{"127.0.0.1:9302"}, Job: "faucet", Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	data, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`job_name: "faucet"`, `scrape_interval: 1s`, `targets: ["127.0.0.1:9302"]`} {
		if !strings.Contains(data, want) {
			t.Errorf("config lacks %s:\n%s", want, data)
		}
	}
}
