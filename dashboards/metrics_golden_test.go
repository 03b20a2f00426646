package dashboards

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/voipsdn/voipsdn/internal/app"
)

// The full list of metrics voipsdn exports, one line per metric family:
// name, type and label names. Faucet's names are an interface (Faucet's
// dashboards, recording rules and alerts query them), and so are ours, so a
// rename, a lost label or a changed type must show up as a diff here.
//
// After adding or changing a metric on purpose, regenerate it with
//
//	go test ./dashboards -run TestExportedMetricsGolden -update
//
// and review the diff of testdata/metrics.golden.
const metricsGolden = "testdata/metrics.golden"

// runtimeMetric reports the Go runtime and process collectors' metrics,
// whose set depends on the Go and client_golang versions, not on voipsdn.
func runtimeMetric(name string) bool {
	return strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_")
}

// goldenLines renders metric families as golden lines, sorted.
func goldenLines(mfs []*dto.MetricFamily) map[string]string {
	out := map[string]string{}
	for _, mf := range mfs {
		if runtimeMetric(mf.GetName()) {
			continue
		}
		labels := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		names := make([]string, 0, len(labels))
		for l := range labels {
			names = append(names, l)
		}
		slices.Sort(names)
		out[mf.GetName()] = fmt.Sprintf("%s %s {%s}", mf.GetName(),
			strings.ToLower(mf.GetType().String()), strings.Join(names, ","))
	}
	return out
}

func render(lines map[string]string) string {
	keys := make([]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("# voipsdn's exported metrics: name type {labels}. Regenerate with\n")
	b.WriteString("# go test ./dashboards -run TestExportedMetricsGolden -update\n")
	for _, k := range keys {
		b.WriteString(lines[k] + "\n")
	}
	return b.String()
}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(metricsGolden)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		out[name] = line
	}
	return out
}

// TestExportedMetricsGolden compares every metric family the exporters
// produce (each collector fed with one of everything, as the dashboard
// tests feed them) with testdata/metrics.golden, in full.
func TestExportedMetricsGolden(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	described := exportedOn(t, reg)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := goldenLines(mfs)
	// A vector that was never fed exports nothing, so it would be missing
	// from got without anyone noticing: every described metric must have
	// been given a series by exportedOn.
	if len(described) == 0 {
		t.Fatal("no collector described any metric")
	}
	for _, name := range described {
		if _, ok := got[name]; !ok && !runtimeMetric(name) {
			t.Errorf("%s is described but exportedOn gives it no series: feed it there", name)
		}
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(metricsGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(metricsGolden, []byte(render(got)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readGolden(t)
	for name, line := range want {
		switch g, ok := got[name]; {
		case !ok:
			t.Errorf("no longer exported: %s", line)
		case g != line:
			t.Errorf("changed:\n got %s\nwant %s", g, line)
		}
	}
	for name, line := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("exported but not in %s: %s", metricsGolden, line)
		}
	}
	if t.Failed() {
		t.Log("if the change is intended: go test ./dashboards -run TestExportedMetricsGolden -update")
	}
}

// TestAppMetricsInGolden: the registry of a fully wired controller
// (internal/app, with a voip section, so the voice metrics are registered)
// exports nothing the golden file does not list, with no other type and no
// label the golden lacks. It guards against a collector wired into run but
// missing from the exporters the golden is built from.
func TestAppMetricsInGolden(t *testing.T) {
	// The voice service must be buildable for the configuration to apply
	// (all or nothing); the PBX at port 9 never answers.
	t.Setenv("VOIPSDN_TEST_GOLDEN_SECRET", "not-a-real-secret")
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	cfg := `vlans: {voice: {vid: 200}}
dps: {sw1: {dp_id: 1, hardware: Open vSwitch, interfaces: {1: {native_vlan: voice}}}}
voip:
  asterisk:
    pbx1: {host: 127.0.0.1, port: 9, username: u, secret_env: VOIPSDN_TEST_GOLDEN_SECRET}
`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Options{ConfigPath: path, OFListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); a.Config() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("config never loaded: %v", a.LastError())
		}
	}
	mfs, err := a.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := readGolden(t)
	got := goldenLines(mfs)
	// The voice metrics are registered once the voip section is applied.
	if _, ok := got["voipsdn_ami_connection_state"]; !ok || len(got) < 10 {
		t.Fatalf("the app exports too little to check (%d families): %v", len(got), got)
	}
	t.Logf("%d metric families exported by run, all in the golden file", len(got))
	for name, line := range got {
		w, ok := want[name]
		if !ok {
			t.Errorf("run exports a metric missing from %s: %s", metricsGolden, line)
			continue
		}
		gf, wf := strings.Fields(line), strings.Fields(w)
		if gf[1] != wf[1] {
			t.Errorf("%s: run exports a %s, golden says %s", name, gf[1], wf[1])
		}
		wantLabels := strings.Split(strings.Trim(wf[2], "{}"), ",")
		for _, l := range strings.Split(strings.Trim(gf[2], "{}"), ",") {
			if l != "" && !slices.Contains(wantLabels, l) {
				t.Errorf("%s: run exports label %q, golden lists %s", name, l, wf[2])
			}
		}
	}
}
