package voice

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/internal/calltest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// callTest posts a test call to the gateway as user and returns the HTTP
// status and the verdict (nil unless 200).
func (x *eventsE2E) callTest(user, secret, from, to, hold string) (int, *calltest.Verdict) {
	x.t.Helper()
	body, _ := json.Marshal(calltest.HTTPRequest{From: from, To: to, Duration: hold})
	req, _ := http.NewRequestWithContext(x.ctx, "POST", x.http.URL+"/v1/pbx/pbx/calltest", bytes.NewReader(body))
	req.SetBasicAuth(user, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var v calltest.Verdict
	if err := json.Unmarshal(raw, &v); err != nil {
		x.t.Fatalf("verdict %s: %v", raw, err)
	}
	var text strings.Builder
	v.WriteText(&text)
	x.t.Logf("%s -> %s:\n%s", from, to, text.String())
	return resp.StatusCode, &v
}

// Test calls through the gateway's HTTP API, placed with Originate on the
// controller's own AMI session against the simulator, on OVS: a phone
// behind a switch port gets its QoS (verdict OK, with the switch, port,
// install time and removal); a phone behind no switch, a busy one and
// one that does not answer get a verdict that is not OK, with the reason;
// a user without the Originate grant is refused.
func TestCallTestVerdicts(t *testing.T) {
	x := newEventsE2E(t, func(e *e2e) {
		e.simOpts = func(o *amisim.Options) {
			o.Endpoints = map[string]netip.AddrPort{
				"201": netip.MustParseAddrPort("10.0.100.201:20000"),
				"299": netip.MustParseAddrPort("10.0.100.99:20000"), // behind no switch port
				"203": {}, "204": {},
			}
			o.OriginateReasons = map[string]int{"203": 5, "204": 3}
		}
	})
	if status, _ := x.callTest("wallboard", "wb-secret", "PJSIP/201", "202", "1s"); status != http.StatusForbidden {
		t.Errorf("user without Originate: status %d, want 403", status)
	}

	// While the call is held, phone 201 sends a second of RTP to the PBX:
	// the verdict's counters must show it.
	sent := make(chan ovslab.RecvStats, 1)
	go func() {
		for i := 0; i < 100; i++ {
			x.mu.Lock()
			var local netip.AddrPort
			for _, ms := range x.media {
				for _, m := range ms {
					if m.Remote.Addr() == netip.MustParseAddr("10.0.100.201") {
						local = m.Local
					}
				}
			}
			x.mu.Unlock()
			if local.IsValid() {
				time.Sleep(100 * time.Millisecond) // the flows are installed within a ptime
				sent <- x.stream("phone201", 20000, local, "pbx", time.Second)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		sent <- ovslab.RecvStats{}
	}()
	_, v := x.callTest("noc", "noc-secret", "PJSIP/201", "202", "3s")
	rx := <-sent
	if v == nil || !v.OK {
		t.Fatalf("call from a phone behind sw1: verdict %+v, want OK", v)
	}
	if len(v.Legs) == 0 || !v.Removed || !v.Answered {
		t.Fatalf("verdict %+v", v)
	}
	var atPort1 bool
	for _, p := range v.Legs[0].QoS {
		atPort1 = atPort1 || p.Direction == "from_phone" && p.DPName == "sw1" && p.Port == 1 && p.DSCP == 46
	}
	if !atPort1 {
		t.Errorf("leg %+v: no from-phone stream at sw1 port 1", v.Legs[0])
	}
	if rx.Packets < 40 || v.Legs[0].Packets < uint64(rx.Packets) {
		t.Errorf("phone sent RTP, PBX got %d packets; the leg's flows counted %d", rx.Packets, v.Legs[0].Packets)
	}
	x.waitFlows(0, 0)

	for _, c := range []struct{ from, reason string }{
		{"PJSIP/299", "location_unknown"},
		{"PJSIP/203", "busy"},
		{"PJSIP/204", "no answer"},
	} {
		_, v := x.callTest("noc", "noc-secret", c.from, "202", "1s")
		if v == nil || v.OK || !strings.Contains(v.Reason, c.reason) {
			t.Errorf("%s: verdict %+v; want not OK, reason with %q", c.from, v, c.reason)
		}
	}
}
