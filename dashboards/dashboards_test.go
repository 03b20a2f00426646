package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files: provisioning/faucet from faucet/, testdata/metrics.golden")

// panel is the part of a Grafana panel the tests read.
type panel struct {
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []struct {
		Datasource json.RawMessage `json:"datasource"`
		Expr       string          `json:"expr"`
		Legend     string          `json:"legendFormat"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // collapsed rows
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource json.RawMessage `json:"datasource"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func parse(t *testing.T, name string, raw []byte) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

func TestEveryPanelHasQueryAndDatasource(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 {
		t.Fatalf("%d dashboards, want 3 of ours and 3 of Faucet's", len(all))
	}
	uids := map[string]string{}
	for _, db := range all {
		if prev, dup := uids[db.UID]; dup {
			t.Errorf("%s and %s share uid %q", prev, db.File, db.UID)
		}
		uids[db.UID] = db.File
		d := parse(t, db.File, db.JSON)
		n := 0
		for _, p := range flatten(d.Panels) {
			if p.Type == "row" {
				continue
			}
			n++
			if len(p.Datasource) == 0 || string(p.Datasource) == "null" {
				t.Errorf("%s: panel %q has no datasource", db.File, p.Title)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", db.File, p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q has an empty query", db.File, p.Title)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no panels", db.File)
		}
		for _, v := range d.Templating.List {
			if v.Type == "query" && (len(v.Datasource) == 0 || len(v.Query) == 0) {
				t.Errorf("%s: template variable %q lacks a datasource or query", db.File, v.Name)
			}
		}
	}
}

func TestResolveDatasource(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range all {
		out, err := ResolveDatasource(db.JSON, DatasourceUID)
		if err != nil {
			t.Fatal(err)
		}
		s := string(out)
		if strings.Contains(s, "DS_PROMETHEUS") || strings.Contains(s, "000000001") {
			t.Errorf("%s: unresolved datasource left after ResolveDatasource", db.File)
		}
		if db.Origin == "voipsdn" && !strings.Contains(s, `"${datasource}"`) {
			t.Errorf("%s: lost its own ${datasource} variable", db.File)
		}
		if db.Origin == "faucet" && !strings.Contains(s, `"uid": "`+DatasourceUID+`"`) {
			t.Errorf("%s: not pointed at %s", db.File, DatasourceUID)
		}
	}
}

// TestProvisionedFaucetCopies keeps provisioning/faucet in step with
// faucet/. Run with -update to regenerate.
func TestProvisionedFaucetCopies(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range all {
		if db.Origin != "faucet" {
			continue
		}
		want, err := ResolveDatasource(db.JSON, DatasourceUID)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("provisioning", "faucet", filepath.Base(db.File))
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale; run go test ./dashboards -run TestProvisionedFaucetCopies -update", path)
		}
	}
}

func TestProvisioningPointsAtOurDatasource(t *testing.T) {
	ds, err := os.ReadFile(filepath.Join("provisioning", "datasources", "prometheus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ds), "uid: "+DatasourceUID) {
		t.Errorf("datasource provisioning does not create uid %s", DatasourceUID)
	}
	prov, err := os.ReadFile(filepath.Join("provisioning", "dashboards", "voipsdn.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/var/lib/grafana/dashboards/voipsdn", "/var/lib/grafana/dashboards/faucet"} {
		if !strings.Contains(string(prov), want) {
			t.Errorf("dashboard provisioning lacks path %s", want)
		}
	}
}
