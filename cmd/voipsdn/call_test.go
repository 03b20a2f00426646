package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/internal/calltest"
	"github.com/voipsdn/voipsdn/internal/netevents"
)

// A stand-in for the controller's endpoint: it checks the request and
// answers the verdict it is given.
func fakeCallTest(t *testing.T, v *calltest.Verdict, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		var req calltest.HTTPRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if r.Method != "POST" || r.URL.Path != "/v1/pbx/pbx1/calltest" || user != "noc" || pass != "s3cret" ||
			req.From != "PJSIP/201" || req.To != "202" || req.Duration != "2s" {
			http.Error(w, "bad request "+r.URL.Path, http.StatusBadRequest)
			return
		}
		if status != http.StatusOK {
			http.Error(w, "permission denied: Originate on pbx1", status)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func runCallTest(t *testing.T, url string, extra ...string) (int, string, string) {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"call", "test", "--pbx", "pbx1", "--from", "PJSIP/201", "--to", "202", "--duration", "2s",
		"--controller", url, "--user", "noc", "--secret-file", secret}, extra...)
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCallTestExitStatus(t *testing.T) {
	ok := &calltest.Verdict{OK: true, Server: "pbx1", From: "PJSIP/201", To: "202", Answered: true, Removed: true,
		Legs: []calltest.Leg{{Leg: "1.1", Remote: "10.0.100.201:20000", WithinPtime: true,
			QoS: []netevents.Placement{{DPID: 1, DPName: "sw1", Port: 1, VLAN: 100, DSCP: 46, Direction: "from_phone"}}}}}
	code, out, _ := runCallTest(t, fakeCallTest(t, ok, http.StatusOK).URL)
	if code != 0 || !strings.Contains(out, ": OK") || !strings.Contains(out, "from_phone on sw1 (dp 0x1) port 1") {
		t.Errorf("OK verdict: exit %d, output:\n%s", code, out)
	}

	busy := &calltest.Verdict{Server: "pbx1", From: "PJSIP/201", To: "202", Reason: "not answered: busy", OriginateReason: 5}
	code, out, _ = runCallTest(t, fakeCallTest(t, busy, http.StatusOK).URL, "--json")
	var got calltest.Verdict
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || got.Reason != "not answered: busy" {
		t.Errorf("busy verdict: exit %d, output %q (%v)", code, out, err)
	}

	code, _, errs := runCallTest(t, fakeCallTest(t, nil, http.StatusForbidden).URL)
	if code != 3 || !strings.Contains(errs, "permission denied") {
		t.Errorf("refused: exit %d, stderr %q", code, errs)
	}
	var out2, err2 bytes.Buffer
	if code := dispatch(context.Background(), []string{"call", "test", "--pbx", "pbx1"}, &out2, &err2); code != 2 {
		t.Errorf("missing flags: exit %d", code)
	}
}
