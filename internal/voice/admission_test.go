package voice

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voipsdn/voipsdn/call"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/voicemetrics"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/qos"
)

// admissionConfig: the uplink (port 5, the PBX's side) has 400 kbit/s,
// half of it for voice: two G.711 calls (87.2 kbit/s a way) fit, a
// third does not.
const admissionConfig = `
vlans:
  voice: {vid: 100}
dps:
  sw1:
    dp_id: 0x1
    interfaces:
      1: {name: phone201, native_vlan: voice}
      2: {name: phone202, native_vlan: voice}
      3: {name: phone203, native_vlan: voice}
      4: {name: phone204, native_vlan: voice}
      5: {name: wan, native_vlan: voice}
voip:
  asterisk:
    pbx: {host: 127.0.0.1, username: voipsdn, secret_env: VOIPSDN_SVC_SECRET}
  qos:
    classes:
      emergency: {admission: exempt}
    admission:
      links:
        wan: {dp: sw1, port: wan, capacity_kbps: 400, voice_share_percent: 50, police_best_effort: true}
`

// linkSwitch locates phone 10.0.100.20N on one of ports 1-4 and the PBX on the
// uplink, and records the meter-mods and owner flows it is sent.
type linkSwitch struct {
	mu     sync.Mutex
	meters []string // "add 400", "modify 226", ...
	owners map[string][]of13.Flow
}

func (l *linkSwitch) Locate(ip netip.Addr) (qos.Location, bool) {
	b := ip.As4()
	switch {
	case ip == pbx.Addr():
		return qos.Location{DP: "sw1", DPID: 1, Port: 5, VID: 100}, true
	case b[3] > 200 && b[3] < 210:
		return qos.Location{DP: "sw1", DPID: 1, Port: uint32(b[3]-201)%4 + 1, VID: 100}, true
	}
	return qos.Location{}, false
}

func (l *linkSwitch) DPID(name string) (uint64, bool) { return 1, name == "sw1" }

func (l *linkSwitch) Placement(dpid uint64) (qos.Placement, bool) {
	return qos.Placement{DP: "sw1", Table: 1, Next: map[uint16]uint8{100: 2}}, dpid == 1
}

func (l *linkSwitch) MeterMod(_ context.Context, _ uint64, mm of13.MeterMod) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	cmd := map[of13.ModCommand]string{of13.ModAdd: "add", of13.ModModify: "modify"}[mm.Command]
	if mm.ID != qos.BestEffortMeterID(0) {
		return fmt.Errorf("meter %d", mm.ID)
	}
	l.meters = append(l.meters, fmt.Sprint(cmd, " ", mm.Bands[0].Rate))
	return nil
}

func (l *linkSwitch) ApplyOwner(_ context.Context, _ uint64, owner string, flows []of13.Flow) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owners[owner] = flows
	return nil
}

// lastMeter waits for the meter's last mod to set want ("add 400",
// "modify 226"; a bare rate accepts either command: an install may come
// after the first calls).
func (l *linkSwitch) lastMeter(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		ms := slices.Clone(l.meters)
		l.mu.Unlock()
		if len(ms) > 0 && (ms[len(ms)-1] == want || strings.HasSuffix(ms[len(ms)-1], " "+want)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("meter mods %v, want the last to be %q", ms, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type admRig struct {
	s      *Service
	fl     *flowLog
	sw     *linkSwitch
	reg    *prometheus.Registry
	mu     sync.Mutex
	events []call.BestEffort
}

// newAdmRig builds a service over flowLog with admission control on
// linkSwitch, and runs it.
func newAdmRig(t *testing.T, sw *linkSwitch) *admRig {
	return newAdmRigMode(t, sw, config.PinholeMark)
}

// newAdmRigMode is newAdmRig with the given pinhole mode.
func newAdmRigMode(t *testing.T, sw *linkSwitch, pinhole string) *admRig {
	t.Helper()
	t.Setenv("VOIPSDN_SVC_SECRET", "s3cret")
	path := filepath.Join(t.TempDir(), "faucet.yaml")
	text := strings.Replace(admissionConfig, "    classes:\n", "    pinhole: "+pinhole+"\n    classes:\n", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &admRig{fl: &flowLog{}, sw: sw, reg: prometheus.NewRegistry()}
	var reasons []string
	for _, x := range qos.AllReasons() {
		reasons = append(reasons, string(x))
	}
	vm, err := voicemetrics.New(r.reg, voicemetrics.Options{Servers: []string{"pbx"}, FallbackReasons: reasons})
	if err != nil {
		t.Fatal(err)
	}
	r.s, err = New(Options{VoIP: cfg.VoIP, Flows: r.fl, Metrics: vm, Sources: []call.Source{fakeSource{"pbx/ami", "pbx"}},
		Admission: NewAdmitter(&cfg.VoIP.QoS, sw, sw, nil),
		Events: func(ev call.Event) {
			if be, ok := ev.(call.BestEffort); ok {
				r.mu.Lock()
				r.events = append(r.events, be)
				r.mu.Unlock()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.s.Run(ctx); close(done) }() //nolint:errcheck // fake sources
	t.Cleanup(func() { cancel(); <-done })
	r.s.SwitchUp(ctx, 1)
	return r
}

// call n: phone 10.0.100.20n calls through the PBX.
func (r *admRig) start(n int, class string) {
	h := call.Header{Server: "pbx", Call: fmt.Sprint("call", n)}
	leg := call.Leg{Uniqueid: fmt.Sprint("leg", n)}
	r.s.handle(amiSrc, call.CallStarted{Header: h, Leg: leg})
	if class != "" {
		r.s.handle(amiSrc, call.Classified{Header: h, Uniqueid: leg.Uniqueid, Class: class})
	}
	r.s.handle(amiSrc, call.MediaKnown{Header: h, Leg: leg, Codec: "ulaw", Source: call.SourceGetvar,
		Local: netip.AddrPortFrom(pbx.Addr(), uint16(10000+2*n)), Remote: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 100, byte(200 + n)}), 30000)})
}

func (r *admRig) end(n int) {
	r.s.handle(amiSrc, call.CallEnded{Header: call.Header{Server: "pbx", Call: fmt.Sprint("call", n)}, Cause: 16})
}

// withFlows lists the calls handed to the flows since the last call,
// "callN best-effort" for a leg handed over to be kept best effort.
func (r *admRig) withFlows() []string {
	var out []string
	for _, op := range r.fl.take() {
		var c string
		if _, err := fmt.Sscanf(op, "media %s", &c); err == nil {
			c = c[:len("callN")]
			if strings.HasSuffix(op, " best-effort") {
				c += " best-effort"
			}
			out = append(out, c)
		}
	}
	return out
}

// TestAdmissionOverBudget: two calls fit the uplink's budget, the third
// proceeds best effort with reason over_budget, counted and published
// once, and its leg is handed to the flows to be kept best effort
// (pinhole: mark would mark it EF otherwise); a call ending releases its
// budget for the next; the best-effort meter follows capacity less the
// admitted voice.
func TestAdmissionOverBudget(t *testing.T) {
	r := newAdmRig(t, &linkSwitch{owners: map[string][]of13.Flow{}})
	r.sw.lastMeter(t, "add 400")
	r.start(1, "")
	r.start(2, "")
	r.sw.lastMeter(t, "modify 226") // 400 - 2 x 87.2
	r.start(3, "")
	if got := r.withFlows(); !slices.Equal(got, []string{"call1", "call2", "call3 best-effort"}) {
		t.Fatalf("calls given flows: %v, want call1 and call2, call3 best effort", got)
	}
	if n := metric(t, r.reg, "voipsdn_qos_fallbacks_total", map[string]string{"reason": "over_budget"}); n != 1 {
		t.Errorf("over_budget fallbacks %v, want 1", n)
	}
	r.mu.Lock()
	ev := slices.Clone(r.events)
	r.mu.Unlock()
	if len(ev) != 1 || ev[0].Call != "call3" || ev[0].Reason != "over_budget" || ev[0].Link != "wan" {
		t.Errorf("best-effort events %+v", ev)
	}
	if r.s.adm.Used("wan", qos.LinkUp) != 2*87.2 {
		t.Errorf("refused call counted: %v", r.s.adm.Used("wan", qos.LinkUp))
	}
	// The refused call's media repeated gets nothing new.
	r.start(3, "")
	if got := r.withFlows(); len(got) != 0 {
		t.Errorf("refused call's re-report given flows: %v", got)
	}
	// FastAGI asks before answering: refused while full.
	if r.s.adm.Admit(context.Background(), call.Classified{Header: call.Header{Server: "pbx", Call: "x"}, Class: "plain"}) {
		t.Errorf("AGI admitted a call over budget")
	}
	if !r.s.adm.Admit(context.Background(), call.Classified{Header: call.Header{Server: "pbx", Call: "x"}, Class: "emergency"}) {
		t.Errorf("AGI refused an exempt call")
	}
	r.end(1)
	r.sw.lastMeter(t, "modify 313") // 400 - 87.2
	r.end(3)
	r.start(4, "")
	if got := r.withFlows(); !slices.Equal(got, []string{"call4"}) {
		t.Errorf("after call 1 ended, flows for %v, want call4", got)
	}
	r.sw.lastMeter(t, "modify 226")
	// Exempt calls are admitted over the budget, and counted.
	r.start(5, "emergency")
	if got := r.withFlows(); !slices.Equal(got, []string{"call5"}) {
		t.Errorf("exempt call: flows for %v", got)
	}
	r.sw.lastMeter(t, "modify 138")
	if n := metric(t, r.reg, "voipsdn_qos_fallbacks_total", map[string]string{"reason": "over_budget"}); n != 1 {
		t.Errorf("over_budget fallbacks %v, want still 1", n)
	}
	// The policing flows were installed once, with the meter.
	r.sw.mu.Lock()
	flows := r.sw.owners["voice-best-effort-wan"]
	r.sw.mu.Unlock()
	if len(flows) != 6 || flows[1].Instr.Meter != qos.BestEffortMeterID(0) {
		t.Errorf("best-effort flows %v", flows)
	}
}

// TestAdmissionRebuiltAfterRestart: a restarted service counts the calls
// its source's resync reports up (in order), not those that ended while
// it was away, so the budget left is the same and the next call over it
// is refused.
func TestAdmissionRebuiltAfterRestart(t *testing.T) {
	sw := &linkSwitch{owners: map[string][]of13.Flow{}}
	r := newAdmRig(t, sw)
	r.start(1, "")
	r.start(2, "")
	r.sw.lastMeter(t, "226")

	// Restart: call 1 ended meanwhile; call 2 and a new call 3 are up.
	r2 := newAdmRig(t, &linkSwitch{owners: map[string][]of13.Flow{}})
	for _, n := range []int{2, 3} {
		h := call.Header{Server: "pbx", Call: fmt.Sprint("call", n)}
		r2.s.handle(amiSrc, call.CallStarted{Header: h, Leg: call.Leg{Uniqueid: fmt.Sprint("leg", n)}, Resynced: true})
	}
	r2.s.handle(amiSrc, call.Resynced{Header: call.Header{Server: "pbx"}, Calls: []string{"call2", "call3"}})
	r2.start(2, "")
	r2.start(3, "")
	if got := r2.withFlows(); !slices.Equal(got, []string{"call2", "call3"}) {
		t.Fatalf("calls up after the restart given flows: %v", got)
	}
	if u := r2.s.adm.Used("wan", qos.LinkDown); u != 2*87.2 {
		t.Errorf("rebuilt budget %v", u)
	}
	r2.sw.lastMeter(t, "226")
	r2.start(4, "")
	if got := r2.withFlows(); !slices.Equal(got, []string{"call4 best-effort"}) {
		t.Errorf("call over the rebuilt budget given flows: %v, want best effort ones", got)
	}
}

// TestAdmissionOverBudgetPinholeOff: with pinhole: off nothing marks a
// refused call's media, so it gets no per-call flows at all and passes
// the link's best-effort meter.
func TestAdmissionOverBudgetPinholeOff(t *testing.T) {
	r := newAdmRigMode(t, &linkSwitch{owners: map[string][]of13.Flow{}}, config.PinholeOff)
	r.start(1, "")
	r.start(2, "")
	r.start(3, "")
	if got := r.withFlows(); !slices.Equal(got, []string{"call1", "call2"}) {
		t.Fatalf("calls given flows: %v, want call1 and call2 only", got)
	}
	if n := metric(t, r.reg, "voipsdn_qos_fallbacks_total", map[string]string{"reason": "over_budget"}); n != 1 {
		t.Errorf("over_budget fallbacks %v, want 1", n)
	}
}
