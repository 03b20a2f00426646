//go:build conformance

// Part of the conformance suite (make conformance CORPUS=dir): these tests
// compare with Faucet's own files, which are not in this repository.

package dashboards

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/faucetcorpus"
)

// The copies in faucet/ are Faucet's dashboards unchanged.
func TestConformanceFaucetDashboardsAreUnchanged(t *testing.T) {
	dir := faucetcorpus.Dir(t)
	for _, name := range []string{"faucet_instrumentation.json", "faucet_inventory.json", "faucet_port_statistics.json"} {
		want, err := os.ReadFile(filepath.Join(dir, "grafana-dashboards", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := files.ReadFile("faucet/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("faucet/%s differs from Faucet's", name)
		}
	}
}

// Faucet's Prometheus recording rules work on what voipsdn exports.
func TestConformanceFaucetRecordingRules(t *testing.T) {
	rules := filepath.Join(faucetcorpus.Dir(t), "examples", "prometheus", "faucet.rules.yml")
	if _, err := os.Stat(rules); err != nil {
		t.Fatal(err)
	}
	p := prometheusOnExporters(t, []string{rules})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for _, rec := range []string{"instance_vlan:vlan_hosts_learned:sum", "instance_vlan_dpid:vlan_hosts_learned:sum",
		"port_dpid:port_vlan_hosts_learned:sum", "port_vlan_dpid:port_vlan_hosts_learned:sum"} {
		if _, err := p.WaitForSeries(ctx, rec); err != nil {
			t.Errorf("Faucet recording rule %s: %v", rec, err)
		}
	}
}
