package gateway_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/gateway"
	"github.com/voipsdn/voipsdn/internal/eventbus"
)

type sseEvent struct {
	typ, id string
	data    map[string]any
}

// readSSE reads server-sent events until n arrive.
func readSSE(t *testing.T, sc *bufio.Scanner, want func(sseEvent) bool) sseEvent {
	t.Helper()
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev.typ = line[7:]
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &ev.data); err != nil {
				t.Fatalf("data %q: %v", line, err)
			}
		case line == "" && ev.typ != "":
			if want(ev) {
				return ev
			}
			ev = sseEvent{}
		}
	}
	t.Fatalf("stream ended: %v", sc.Err())
	return ev
}

// An SSE client over real HTTP gets the PBX's events (filtered by name
// and server) and voipsdn's call records; JSON actions obey the same
// policy as AMI logins.
func TestHTTP(t *testing.T) {
	us := users()
	us[0].Token = ami.NewSecret("wb-token")
	r := newRig(t, gateway.Config{Users: us})
	bus := eventbus.New()
	srv := httptest.NewServer(r.gw.HTTPHandler(bus))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	req, _ := http.NewRequest("GET", srv.URL+"/v1/events?server=pbx1&event=Newchannel,Hangup", nil)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no credentials: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	req.Header.Set("Authorization", "Bearer wb-token")
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	eventually(t, "the stream to register", func() bool { return r.gw.Stats().Clients == 1 })

	if _, err := r.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", AnswerAfter: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	placed := r.sim.Stats().CallsPlaced
	ev := readSSE(t, sc, func(e sseEvent) bool { return true })
	if ev.typ != "ami" || ev.data["Event"] != "Newchannel" || ev.data["Server"] != "pbx1" || ev.data["Privilege"] != "call,all" {
		t.Fatalf("first event: %+v", ev)
	}
	bus.Publish(eventbus.Record{Server: "pbx1", DPName: "0", Type: "VOIP_CALL", Body: map[string]any{"event": "start", "call": "1.1"}})
	bus.Publish(eventbus.Record{Server: "pbx9", DPName: "0", Type: "VOIP_CALL", Body: map[string]any{"event": "start", "call": "9.9"}})
	bus.Publish(eventbus.Record{Server: "pbx1", DPName: "0", Type: "VOIP_CALL", Body: map[string]any{"event": "end", "call": "1.1"}})
	ev = readSSE(t, sc, func(e sseEvent) bool { return e.typ == "VOIP_CALL" })
	body := ev.data["VOIP_CALL"].(map[string]any)
	if body["call"] != "1.1" || ev.id != "1" || ev.data["event_id"] != 1.0 {
		t.Fatalf("call record: %+v", ev)
	}
	ev = readSSE(t, sc, func(e sseEvent) bool { return e.typ == "VOIP_CALL" })
	if body := ev.data["VOIP_CALL"].(map[string]any); body["event"] != "end" {
		t.Fatalf("a record of a server the user does not have reached it: %+v", ev)
	}

	post := func(user, secret, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.SetBasicAuth(user, secret)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, out := post("wallboard", "wb-secret", "/v1/pbx/pbx1/actions", `{"Action":"CoreShowChannels","ActionID":"mine"}`)
	evs, _ := out["events"].([]any)
	if code != 200 || len(evs) != 2 || evs[0].(map[string]any)["ActionID"] != "mine" || out["complete"].(map[string]any)["ListItems"] != "2" {
		t.Fatalf("CoreShowChannels over HTTP: %d %v", code, out)
	}
	code, out = post("wallboard", "wb-secret", "/v1/pbx/pbx1/actions", `{"Action":"Originate","Channel":"PJSIP/201","Exten":"202"}`)
	if code != http.StatusForbidden || out["response"].(map[string]any)["Message"] != "Permission denied" {
		t.Fatalf("read-only Originate over HTTP: %d %v", code, out)
	}
	if code, _ = post("wallboard", "wrong", "/v1/pbx/pbx1/actions", `{"Action":"Ping"}`); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", code)
	}
	if code, _ = post("wallboard", "wb-secret", "/v1/pbx/pbx2/actions", `{"Action":"Status"}`); code != http.StatusForbidden {
		t.Fatalf("another PBX: %d", code)
	}
	if st := r.sim.Stats(); st.CallsPlaced != placed {
		t.Fatal("a denied Originate reached the PBX")
	}
}
