package voice

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami"
	"github.com/voipsdn/voipsdn/ami/gateway"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/calltest"
	"github.com/voipsdn/voipsdn/internal/eventbus"
	"github.com/voipsdn/voipsdn/internal/netevents"
	"github.com/voipsdn/voipsdn/openflow/of13"
)

// eventsE2E wires the controller's call events as internal/app does:
// call events and the flow store's outcomes into a bus, the bus onto the
// gateway's SSE stream and Faucet's event socket.
type eventsE2E struct {
	*e2e
	bus  *eventbus.Bus
	gw   *gateway.Gateway
	http *httptest.Server
	sock string
}

func newEventsE2E(t *testing.T, opts ...func(*e2e)) *eventsE2E {
	bus := eventbus.New()
	calls := netevents.Calls{Bus: bus}
	x := &eventsE2E{bus: bus, sock: filepath.Join(t.TempDir(), "faucet.sock")}
	sock := netevents.NewSocket(x.sock, bus, nil)

	// The gateway shares the controller's AMI session, and serves the
	// test call to users granted Originate, as internal/app wires it.
	t.Setenv("VOIPSDN_E2E_NOC", "noc-secret")
	t.Setenv("VOIPSDN_E2E_WALLBOARD", "wb-secret")
	gc, err := gateway.Config{Users: []gateway.User{
		{Name: "noc", SecretEnv: "VOIPSDN_E2E_NOC", Servers: []string{"pbx"}, Actions: []string{"Originate", "Hangup"}},
		{Name: "wallboard", SecretEnv: "VOIPSDN_E2E_WALLBOARD", Servers: []string{"pbx"}},
	}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	x.gw = gateway.New(gc, nil)
	tester := &calltest.Tester{Records: bus, RemoveWait: 5 * time.Second,
		Flows: func(ctx context.Context, dpid, cookie, mask uint64) ([]of13.FlowStats, error) {
			return x.mgr.Load().FlowStats(ctx, dpid, cookie, mask)
		},
		AMI: func(server string) calltest.AMI {
			if u := x.gw.Session(server); u != nil {
				return u
			}
			return nil
		}}
	x.gw.Handle("POST /v1/pbx/{name}/calltest", "Originate", tester.Handler())

	x.e2e = newE2E(t, config.PinholeMark, append([]func(*e2e){func(e *e2e) {
		e.outcomes, e.events = calls.Outcomes(), calls.Event
		e.amiHook = func(c *ami.Client) { x.gw.AddUpstream(c) }
	}}, opts...)...)
	sctx, cancel := context.WithCancel(x.ctx)
	done := make(chan struct{})
	go func() { sock.Run(sctx); close(done) }() //nolint:errcheck
	t.Cleanup(func() { cancel(); <-done })
	x.http = httptest.NewServer(x.gw.HTTPHandler(bus))
	t.Cleanup(x.http.Close)
	return x
}

// sse opens the event stream as the noc user and returns its VOIP_CALL
// records as they come.
func (x *eventsE2E) sse(query string) <-chan netevents.CallRecord {
	x.t.Helper()
	ctx, cancel := context.WithCancel(x.ctx)
	x.t.Cleanup(cancel) // before the server's Close, which waits for the stream
	req, _ := http.NewRequestWithContext(ctx, "GET", x.http.URL+"/v1/events?"+query, nil)
	req.SetBasicAuth("noc", "noc-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		x.t.Fatalf("GET /v1/events: %s", resp.Status)
	}
	out := make(chan netevents.CallRecord, 256)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var r struct {
				Call *netevents.CallRecord `json:"VOIP_CALL"`
			}
			if json.Unmarshal([]byte(data), &r) == nil && r.Call != nil {
				out <- *r.Call
			}
		}
	}()
	return out
}

// socketRecords reads VOIP_CALL records from Faucet's event socket.
func (x *eventsE2E) socketRecords() <-chan netevents.CallRecord {
	x.t.Helper()
	var nc net.Conn
	var err error
	for i := 0; i < 100; i++ {
		if nc, err = net.Dial("unix", x.sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		x.t.Fatal(err)
	}
	x.t.Cleanup(func() { nc.Close() })
	out := make(chan netevents.CallRecord, 256)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(nc)
		for sc.Scan() {
			var r struct {
				Call *netevents.CallRecord `json:"VOIP_CALL"`
			}
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.Call != nil {
				out <- *r.Call
			}
		}
	}()
	return out
}

// qosRecords collects qos_installed records from recs until both phone
// legs' streams from the phones' ports are seen.
func qosRecords(t *testing.T, name string, recs <-chan netevents.CallRecord) map[uint32]netevents.Placement {
	t.Helper()
	fromPhone := map[uint32]netevents.Placement{}
	timeout := time.After(20 * time.Second)
	for len(fromPhone) < 2 {
		select {
		case r, ok := <-recs:
			if !ok {
				t.Fatalf("%s: stream closed; from-phone placements %v", name, fromPhone)
			}
			if r.Event == netevents.CallBestEffort {
				t.Fatalf("%s: leg %s best effort: %s", name, r.Leg, r.Reason)
			}
			if r.Event != netevents.CallQoS {
				continue
			}
			if r.Server != "pbx" || r.Call == "" || r.Leg == "" || r.InstallMS <= 0 {
				t.Errorf("%s: record %+v", name, r)
			}
			for _, p := range r.QoS {
				if p.Direction == "from_phone" {
					fromPhone[p.Port] = p
				}
			}
		case <-timeout:
			t.Fatalf("%s: no qos_installed for both legs; have %v", name, fromPhone)
		}
	}
	return fromPhone
}

// An SSE client of the gateway and a reader of Faucet's event socket both
// get a call's qos_installed records, naming the switch and each phone's
// port, for a call on OVS.
func TestCallEventsCarryPlacement(t *testing.T) {
	x := newEventsE2E(t)
	sse := x.sse("types=call")
	sock := x.socketRecords()
	x.call(20000)
	for name, recs := range map[string]<-chan netevents.CallRecord{"SSE": sse, "event socket": sock} {
		got := qosRecords(t, name, recs)
		for port := range uint32(2) {
			p, ok := got[port+1] // phone201 is on port 1, phone202 on 2
			if !ok || p.DPID != 1 || p.DPName != "sw1" || p.VLAN != 100 || p.DSCP != 46 || p.MeterID == 0 {
				t.Errorf("%s: placement at port %d: %+v (%v)", name, port+1, p, got)
			}
		}
	}
}
