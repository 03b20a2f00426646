package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestDashboardsPushCommand(t *testing.T) {
	const token = "glsa_cmdtest-secret"
	var mu sync.Mutex
	var saved int
	var unauthorized bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token {
			unauthorized = true
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Data source not found"}`)
		case r.URL.Path == "/api/datasources":
			io.WriteString(w, `{"id":1}`)
		case r.URL.Path == "/api/dashboards/db":
			saved++
			io.WriteString(w, `{"status":"success","version":1}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"dashboards", "push", "--grafana-url", srv.URL, "--token-file", tokenFile}, &stdout, &stderr)
	if code != 0 || unauthorized || saved != 6 {
		t.Fatalf("exit %d, unauthorized %v, saved %d dashboards; stderr: %s", code, unauthorized, saved, stderr.String())
	}
	for _, want := range []string{"datasource voipsdn-prometheus", "created", "dashboard voipsdn-voice", "dashboard faucet-inventory"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String()+stderr.String(), token) {
		t.Error("the token was printed")
	}
}

func TestDashboardsPushUsage(t *testing.T) {
	for _, args := range [][]string{
		{"dashboards"},
		{"dashboards", "pull"},
		{"dashboards", "push"},
		{"dashboards", "push", "--grafana-url", "http://x"},
		{"dashboards", "push", "--grafana-url", "http://x", "--token-file", "a", "--basic-auth-file", "b"},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %s)", args, code, errb.String())
		}
	}
}
