package grafana

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/dashboards"
)

const secret = "glsa_s3cr3t-token"

var testDS = Datasource{UID: dashboards.DatasourceUID, Name: "Prometheus (voipsdn)", URL: "http://prom:9090", IsDefault: true}

func boards(t *testing.T) []dashboards.Dashboard {
	all, err := dashboards.All()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func count(reqs []string, want string) int {
	n := 0
	for _, r := range reqs {
		if r == want {
			n++
		}
	}
	return n
}

func TestPushIsIdempotent(t *testing.T) {
	fake := newFakeGrafana(t, "Bearer "+secret)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	api, err := NewClient(srv.URL, TokenAuth(secret), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	all := boards(t)
	ctx := context.Background()

	r1, err := Push(ctx, api, testDS, all)
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.take()
	if !r1.DatasourceCreated || count(reqs, "POST /api/datasources") != 1 || count(reqs, "POST /api/dashboards/db") != len(all) {
		t.Fatalf("first push: report %+v, requests %v", r1, reqs)
	}

	r2, err := Push(ctx, api, testDS, all)
	if err != nil {
		t.Fatal(err)
	}
	reqs = fake.take()
	if r2.DatasourceCreated || count(reqs, "POST /api/datasources") != 0 || count(reqs, "PUT /api/datasources/uid/"+testDS.UID) != 1 {
		t.Fatalf("second push did not update the datasource: report %+v, requests %v", r2, reqs)
	}
	if len(fake.datasources) != 1 || len(fake.dashboards) != len(all) {
		t.Fatalf("after two pushes Grafana holds %d datasources and %d dashboards, want 1 and %d",
			len(fake.datasources), len(fake.dashboards), len(all))
	}
	for _, s := range r2.Dashboards {
		if s.Version != 2 {
			t.Errorf("dashboard %s at version %d after two pushes, want 2", s.UID, s.Version)
		}
	}
	// Faucet's dashboards now point at our datasource.
	d := fake.dashboards["faucet-port-stats"]
	if d == nil || !strings.Contains(fmt.Sprint(d["panels"]), "uid:"+testDS.UID) {
		t.Errorf("faucet-port-stats not pointed at %s", testDS.UID)
	}
}

func TestBasicAuthHeader(t *testing.T) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pa:ss"))
	fake := newFakeGrafana(t, want)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	api, err := NewClient(srv.URL+"/", BasicAuth("admin", "pa:ss"), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(context.Background(), api, testDS, boards(t)[:1]); err != nil {
		t.Fatal(err)
	}
}

func TestSubpathURL(t *testing.T) {
	fake := newFakeGrafana(t, "Bearer "+secret)
	srv := httptest.NewServer(stripPrefix("/grafana", fake))
	defer srv.Close()
	api, err := NewClient(srv.URL+"/grafana", TokenAuth(secret), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(context.Background(), api, testDS, boards(t)[:1]); err != nil {
		t.Fatal(err)
	}
}

func TestUnauthorizedErrorHidesSecret(t *testing.T) {
	fake := newFakeGrafana(t, "Bearer other")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	api, err := NewClient(srv.URL, TokenAuth(secret), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Push(context.Background(), api, testDS, boards(t))
	if err == nil {
		t.Fatal("push with a wrong token succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the token: %v", err)
	}
	if len(fake.dashboards) != 0 {
		t.Fatal("dashboards saved without authorization")
	}
}

func TestAuthIsRedacted(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	for _, a := range []Auth{TokenAuth(secret), BasicAuth("admin", secret)} {
		log.Info("auth", "auth", a)
		for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), buf.String()} {
			if strings.Contains(s, secret) {
				t.Errorf("secret printed: %s", s)
			}
		}
	}
}

func TestLoadAuth(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tok := write("token", "  "+secret+"\n")
	basic := write("basic", "admin:pa:ss\nignored\n")
	bad := write("bad", "nocolon\n")
	empty := write("empty", "\n")

	if a, err := LoadAuth(tok, ""); err != nil || a.token != secret {
		t.Errorf("token file: %v", err)
	}
	if a, err := LoadAuth("", basic); err != nil || a.user != "admin" || a.password != "pa:ss" {
		t.Errorf("basic file: %+v %v", a, err)
	}
	for _, tc := range [][2]string{{tok, basic}, {"", ""}, {"", bad}, {empty, ""}, {filepath.Join(dir, "missing"), ""}} {
		if _, err := LoadAuth(tc[0], tc[1]); err == nil {
			t.Errorf("LoadAuth(%q, %q) succeeded", tc[0], tc[1])
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func TestNewClientRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:3000", "ftp://x", "http://admin:pw@host:3000"} {
		if _, err := NewClient(u, TokenAuth(secret), nil); err == nil {
			t.Errorf("NewClient(%q) succeeded", u)
		} else if strings.Contains(err.Error(), "pw") && strings.Contains(u, "pw") {
			t.Errorf("error shows the URL's password: %v", err)
		}
	}
}
