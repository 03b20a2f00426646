package grafana

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeGrafana is a minimal Grafana HTTP API: datasources by uid and
// dashboards by uid, with Grafana's create/update/overwrite semantics.
type fakeGrafana struct {
	t        *testing.T
	wantAuth string

	mu          sync.Mutex
	requests    []string // "METHOD path"
	datasources map[string]map[string]any
	dashboards  map[string]map[string]any
	versions    map[string]int64
}

func newFakeGrafana(t *testing.T, wantAuth string) *fakeGrafana {
	return &fakeGrafana{t: t, wantAuth: wantAuth, datasources: map[string]map[string]any{},
		dashboards: map[string]map[string]any{}, versions: map[string]int64{}}
}

func (f *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if got := r.Header.Get("Authorization"); got != f.wantAuth {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"Unauthorized"}`)
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			f.t.Errorf("%s %s: content type %q", r.Method, r.URL.Path, ct)
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.t.Errorf("%s %s: body: %v", r.Method, r.URL.Path, err)
		}
	}
	const dsPrefix = "/api/datasources/uid/"
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, dsPrefix):
		ds, ok := f.datasources[strings.TrimPrefix(r.URL.Path, dsPrefix)]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Data source not found"}`)
			return
		}
		json.NewEncoder(w).Encode(ds)
	case r.Method == http.MethodPost && r.URL.Path == "/api/datasources":
		f.checkDatasource(body)
		uid, _ := body["uid"].(string)
		if _, dup := f.datasources[uid]; dup {
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"message":"data source with the same uid already exists"}`)
			return
		}
		f.datasources[uid] = body
		io.WriteString(w, `{"id":1,"message":"Datasource added","name":"x"}`)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, dsPrefix):
		f.checkDatasource(body)
		uid := strings.TrimPrefix(r.URL.Path, dsPrefix)
		if _, ok := f.datasources[uid]; !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Data source not found"}`)
			return
		}
		f.datasources[uid] = body
		io.WriteString(w, `{"id":1,"message":"Datasource updated","name":"x"}`)
	case r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db":
		d, _ := body["dashboard"].(map[string]any)
		uid, _ := d["uid"].(string)
		if uid == "" {
			f.t.Errorf("dashboard without uid")
		}
		if id, ok := d["id"]; ok && id != nil {
			f.t.Errorf("dashboard %s sent with id %v", uid, id)
		}
		if body["overwrite"] != true {
			f.t.Errorf("dashboard %s sent without overwrite", uid)
		}
		raw, _ := json.Marshal(d)
		if strings.Contains(string(raw), "DS_PROMETHEUS") {
			f.t.Errorf("dashboard %s sent with an unresolved ${DS_PROMETHEUS}", uid)
		}
		if _, exists := f.dashboards[uid]; exists && body["overwrite"] != true {
			w.WriteHeader(http.StatusPreconditionFailed)
			io.WriteString(w, `{"status":"name-exists"}`)
			return
		}
		f.versions[uid]++
		f.dashboards[uid] = d
		json.NewEncoder(w).Encode(map[string]any{"id": 1, "uid": uid, "status": "success", "version": f.versions[uid], "url": "/d/" + uid})
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

func (f *fakeGrafana) checkDatasource(b map[string]any) {
	if b["type"] != "prometheus" || b["uid"] == "" || b["url"] == "" || b["access"] != "proxy" {
		f.t.Errorf("datasource body %v", b)
	}
}

func (f *fakeGrafana) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.requests
	f.requests = nil
	return r
}
