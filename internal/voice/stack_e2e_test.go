package voice

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/qos"
)

// A ring of three stacked switches: the PBX on the root s1, phone201 (and
// a PC that marks its own traffic EF) on s2, phone202 on s3. Ports 2 and 3
// of each are stack ports.
const stackLabConfig = `
vlans:
  voice: {vid: 100}
dps:
  s1:
    dp_id: 0x1
    hardware: Open vSwitch
    stack: {priority: 1}
    lldp_beacon: {send_interval: 1, max_per_interval: 5}
    interfaces:
      5: {name: pbx, native_vlan: voice}
      2: {stack: {dp: s2, port: 3}}
      3: {stack: {dp: s3, port: 2}}
  s2:
    dp_id: 0x2
    hardware: Open vSwitch
    stack: {priority: 2}
    lldp_beacon: {send_interval: 1, max_per_interval: 5}
    interfaces:
      1: {name: phone201, native_vlan: voice}
      6: {name: pc, native_vlan: voice}
      2: {stack: {dp: s3, port: 3}}
      3: {stack: {dp: s1, port: 2}}
  s3:
    dp_id: 0x3
    hardware: Open vSwitch
    lldp_beacon: {send_interval: 1, max_per_interval: 5}
    interfaces:
      1: {name: phone202, native_vlan: voice}
      2: {stack: {dp: s1, port: 3}}
      3: {stack: {dp: s2, port: 2}}
voip:
  asterisk:
    pbx:
      host: 127.0.0.1
      port: %d
      username: voipsdn
      secret_env: VOIPSDN_E2E_SECRET
  qos:
    rtp_port_range: [10000, 20000]
    pinhole: mark
    pbx_addresses: [10.0.100.1]
    queue: 5
`

func newStackE2E(t *testing.T) *e2e {
	ovslab.Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &e2e{t: t, ctx: ctx, dir: t.TempDir(), media: map[string][]tracker.MediaKnown{}}
	e.lab = ovslab.New(t)
	t.Setenv("VOIPSDN_E2E_SECRET", "s3cret")
	e.sim = amisim.New(simOptions())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.amiPort = ln.Addr().(*net.TCPAddr).Port
	simDone := make(chan struct{})
	go func() { e.sim.Serve(ctx, ln); close(simDone) }() //nolint:errcheck
	t.Cleanup(func() { cancel(); <-simDone })

	path := filepath.Join(e.dir, "faucet.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(stackLabConfig, e.amiPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	if e.cfg, err = config.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	e.rec = &recorder{cookies: map[uint64]bool{}}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.ofAddr = ln2.Addr().String()
	e.stopCtl = e.startController(ln2)
	t.Cleanup(func() { e.stopCtl() })

	for i := 1; i <= 3; i++ {
		if _, err := e.lab.AddBridge(fmt.Sprintf("s%d", i), uint64(i), ovslab.WithController("tcp:"+e.ofAddr), ovslab.MaxBackoff(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// Stack links s1:2-s2:3, s2:2-s3:3, s3:2-s1:3 as veth pairs.
	for i := 1; i <= 3; i++ {
		p, err := e.lab.AddPort(fmt.Sprintf("s%d", i), 2)
		if err != nil {
			t.Fatal(err)
		}
		to := e.lab.Bridge(fmt.Sprintf("s%d", i%3+1))
		if out, err := e.lab.VsctlRaw("add-port", to.OVSName, p.Peer, "--", "set", "interface", p.Peer, "ofport_request=3"); err != nil {
			t.Fatalf("stack link: %v %s", err, out)
		}
	}
	for _, h := range []ovslab.HostSpec{
		{Name: "pbx", Bridge: "s1", OFPort: 5, Addrs: []string{"10.0.100.1/24"}},
		{Name: "phone201", Bridge: "s2", OFPort: 1, Addrs: []string{"10.0.100.201/24"}},
		{Name: "pc", Bridge: "s2", OFPort: 6, Addrs: []string{"10.0.100.66/24"}},
		{Name: "phone202", Bridge: "s3", OFPort: 1, Addrs: []string{"10.0.100.202/24"}},
	} {
		if _, err := e.lab.AddHost(h); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	for i := 1; i <= 3; i++ {
		if err := e.lab.WaitConnected(wctx, fmt.Sprintf("s%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Learning across the stack: every host reaches the PBX on the root.
	for _, h := range []string{"phone201", "phone202", "pc"} {
		if err := e.lab.Host(h).WaitPing(wctx, "10.0.100.1"); err != nil {
			t.Fatalf("%s cannot reach the PBX over the stack: %v", h, err)
		}
	}
	if err := e.lab.Host("phone201").WaitPing(wctx, "10.0.100.202"); err != nil {
		t.Fatalf("the phones cannot reach each other: %v", err)
	}
	return e
}

// callFlowsOn lists the per-call flows on a bridge.
func (e *e2e) callFlowsOn(bridge string) []ovslab.Flow {
	e.t.Helper()
	filter := "cookie=0x" + strconv.FormatUint(qos.CookieCategory, 16) + "/0x" + strconv.FormatUint(qos.CookieCategoryMask, 16)
	flows, err := e.lab.DumpFlows(bridge, filter)
	if err != nil {
		e.t.Fatal(err)
	}
	return flows
}

// TestStackCallEFOnEveryHop: a direct-media call between phones on two
// switches of a stack (s2 and s3, two hops apart along the tree through
// the root s1). Each phone's stream is marked and metered once, on its
// ingress switch; the other switches trust the stack ports, so the packets
// arrive EF. A PC on an access port that marks its own UDP EF arrives
// re-marked to best effort.
func TestStackCallEFOnEveryHop(t *testing.T) {
	e := newStackE2E(t)
	a := netip.MustParseAddrPort("10.0.100.201:30000")
	b := netip.MustParseAddrPort("10.0.100.202:30002")
	simID, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 200 * time.Millisecond,
		FromRTP: a, ToRTP: b, DirectMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	// Each phone's stream lands on its own switch.
	deadline := time.Now().Add(15 * time.Second)
	for {
		on2, on3 := e.callFlowsOn("s2"), e.callFlowsOn("s3")
		if hasStream(on2, a, b) && hasStream(on3, b, a) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("per-call flows: s2 %v, s3 %v", on2, on3)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, dir := range []struct {
		from, to string
		src, dst netip.AddrPort
	}{{"phone201", "phone202", a, b}, {"phone202", "phone201", b, a}} {
		st := e.stream(dir.from, int(dir.src.Port()), dir.dst, dir.to, time.Second)
		if st.Packets < 40 || st.DSCP[46] != st.Packets {
			t.Errorf("%s -> %s over the stack: %d packets, %d with DSCP 46; want ~50, all EF", dir.from, dir.to, st.Packets, st.DSCP[46])
		}
	}
	// Metered once: the root in between holds no per-call flow or meter;
	// each edge holds meters only for its own phone's stream.
	if fl := e.callFlowsOn("s1"); len(fl) != 0 {
		t.Errorf("per-call flows on the transit switch s1: %v", fl)
	}
	for bridge, phone := range map[string]string{"s2": "10.0.100.201", "s3": "10.0.100.202"} {
		for _, f := range e.callFlowsOn(bridge) {
			if f.Match["nw_src"] != phone {
				t.Errorf("%s holds a flow for another switch's sender: %s", bridge, f.Text)
			}
		}
	}
	m1, err := e.lab.DumpMeters("s1")
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := e.lab.DumpMeters("s2")
	m3, _ := e.lab.DumpMeters("s3")
	if len(m1) != 0 || len(m2) == 0 || len(m3) == 0 {
		t.Errorf("meters: s1 %d, s2 %d, s3 %d; want none on the transit switch, the streams' on their edges", len(m1), len(m2), len(m3))
	}
	t.Logf("meters: s1 %d, s2 %d, s3 %d", len(m1), len(m2), len(m3))

	// A PC claiming EF for its own traffic.
	rx, err := e.lab.Host("phone202").ReceiveUDP("10.0.100.202:9999")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.lab.Host("pc").SendUDPStream(e.ctx, ovslab.Stream{Dst: "10.0.100.202:9999", SrcPort: 9999, Duration: time.Second, DSCP: 46}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	st, _ := rx.Close()
	if st.Packets < 40 || st.DSCP[0] != st.Packets {
		t.Errorf("EF the PC set itself: %d packets, DSCP %v; want all re-marked to 0", st.Packets, st.DSCP)
	}
	// The trust flows carry set_queue on the stack ports.
	for _, br := range []string{"s1", "s3"} {
		fl, err := e.lab.DumpFlows(br, "")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range fl {
			// OVS prints an ip_dscp match as the TOS byte: nw_tos=184.
			if (f.Match["ip_dscp"] == "46" || f.Match["nw_tos"] == "184") && f.Match["in_port"] != "" && strings.Contains(f.Text, "set_queue:5") {
				found = true
			}
		}
		if !found {
			var qs []string
			for _, f := range fl {
				if strings.Contains(f.Text, "set_queue") {
					qs = append(qs, f.Text)
				}
			}
			t.Errorf("%s: no trust flow with set_queue:5 for EF from a stack port; set_queue flows: %v", br, qs)
		}
	}
	if err := e.sim.Hangup(simID, 16); err != nil {
		t.Fatal(err)
	}
}

func hasStream(fl []ovslab.Flow, src, dst netip.AddrPort) bool {
	for _, f := range fl {
		if f.Match["nw_src"] == src.Addr().String() && f.Match["nw_dst"] == dst.Addr().String() {
			return true
		}
	}
	return false
}
