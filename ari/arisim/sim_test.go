package arisim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/voipsdn/voipsdn/ari/arisim"
)

func load(t *testing.T, name string) *arisim.Recording {
	t.Helper()
	rec, err := arisim.Load(filepath.Join("..", "testdata", "captures", name+".ari.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	req.SetBasicAuth("u", "p")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAddChannelTooEarly reproduces recording 04: addChannel of the
// externalMedia channel before its StasisStart gets 422, after it 204.
func TestAddChannelTooEarly(t *testing.T) {
	sim := arisim.New(load(t, "04-extmedia-addChannel-too-early-422"), "u", "p")
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	url := srv.URL + "/ari/bridges/0a1fc8d4-081e-423e-8177-f060f5bb4c9f/addChannel?channel=1796624751.5"
	sim.PlayUntil(`"type":"ChannelCreated"`) // the caller
	sim.PlayUntil(`"type":"ChannelCreated"`) // the externalMedia channel
	if code, body := post(t, url); code != 422 || body != `{"message":"Channel not in Stasis application"}` {
		t.Errorf("before StasisStart: %d %s", code, body)
	}
	sim.PlayUntil(`"type":"StasisStart"`) // the externalMedia channel's
	if code, body := post(t, url); code != 204 || body != "" {
		t.Errorf("after StasisStart: %d %s", code, body)
	}
}

// TestLinkedidModel: the simulator's CHANNEL(linkedid), which the ARI
// recordings do not show, agrees with the Linkedid AMI printed for each
// channel at the end of each call (ami/testdata/captures/ariNN-*.txt).
func TestLinkedidModel(t *testing.T) {
	for _, name := range []string{"01-extmedia-201-to-501-app-hangs-up", "02-extmedia-201-to-501-caller-hangs-up", "03-b2bua-201-to-502-app-originates-202"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "ami", "testdata", "captures", "ari"+name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		// The last Linkedid AMI gave each Uniqueid before its Hangup.
		last := map[string]string{}
		re := regexp.MustCompile(`Event: (\w+)\r\n(?:[^\r]*\r\n)*?Uniqueid: (\S+)\r\nLinkedid: (\S+)\r\n`)
		for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
			if m[1] != "Hangup" {
				last[m[2]] = m[3]
			}
		}
		sim := arisim.New(load(t, name), "u", "p")
		// Play up to the first hang-up request: every channel is up.
		sim.PlayUntil(`"type":"ChannelHangupRequest"`)
		for uid, want := range last {
			if got, status, _ := sim.Variable(uid, "CHANNEL(linkedid)"); status != 200 || got != want {
				t.Errorf("%s: %s linkedid %q (%d), AMI %q", name, uid, got, status, want)
			}
		}
		if len(last) < 2 {
			t.Errorf("%s: AMI Linkedids not found", name)
		}
	}
}
