package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

const dpid1 = 0x1

// sw1 is a bridge controlled by voipsdn with the hosts of testdata/sw1.yaml:
// h1, h2 (ACL blocking UDP 5001 on ingress), h6 (meter on UDP 6000) and h7
// (spare port) untagged on office (VLAN 100); h3 untagged on guest (VLAN
// 200); h4 tagged 100; h5 on port 5, which mirrors port 1.
type sw1 struct {
	lab   *ovslab.Lab
	ctl   *e2etest.Controller
	hosts map[string]*ovslab.Host
}

func setupSW1(t *testing.T, lab *ovslab.Lab) *sw1 {
	t.Helper()
	cfg, err := os.ReadFile("testdata/sw1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := &sw1{lab: lab, ctl: e2etest.Start(t, string(cfg)), hosts: map[string]*ovslab.Host{}}
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("sw1", dpid1, ovslab.WithController(s.ctl.Target()), ovslab.MaxBackoff(time.Second)))
	for _, h := range []struct {
		name string
		port int
		vid  uint16
	}{{"h1", 1, 0}, {"h2", 2, 0}, {"h3", 3, 0}, {"h4", 4, 100}, {"h5", 5, 0}, {"h6", 6, 0}} {
		spec := ovslab.HostSpec{Name: h.name, Bridge: "sw1", OFPort: h.port, Addrs: []string{fmt.Sprintf("10.0.0.%d/24", h.port)}}
		if h.vid != 0 {
			s.hosts[h.name] = e2etest.Must[*ovslab.Host](t)(lab.AddTaggedHost(spec, h.vid))
		} else {
			s.hosts[h.name] = e2etest.Must[*ovslab.Host](t)(lab.AddHost(spec))
		}
	}
	ctx := e2etest.Context(t, 30*time.Second)
	if err := lab.WaitConnected(ctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	s.ctl.WaitSynced(ctx, dpid1, 1)
	return s
}

func (s *sw1) ip(name string) string { return s.hosts[name].IP().String() }

// reach asserts whether from can ping to.
func (s *sw1) reach(t *testing.T, from, to string, want bool) {
	t.Helper()
	ctx := e2etest.Context(t, 20*time.Second)
	h := s.hosts[from]
	if want {
		if err := h.WaitPing(ctx, s.ip(to)); err != nil {
			t.Errorf("%s cannot reach %s: %v", from, to, err)
		}
		return
	}
	st, err := h.Ping(ctx, s.ip(to), 5)
	if err != nil {
		t.Fatalf("ping %s -> %s: %v", from, to, err)
	}
	if st.Received != 0 {
		t.Errorf("%s reached %s (%d/%d replies); the VLANs must be separate", from, to, st.Received, st.Sent)
	}
}

// udp sends count packets from one host to another's port and returns how
// many arrived.
func (s *sw1) udp(t *testing.T, from, to string, port, count, pps, size int) ovslab.RecvStats {
	t.Helper()
	ctx := e2etest.Context(t, 30*time.Second)
	rx := e2etest.Must[*ovslab.Receiver](t)(s.hosts[to].ReceiveUDP(fmt.Sprintf(":%d", port)))
	if _, err := s.hosts[from].SendUDPStream(ctx, ovslab.Stream{
		Dst: fmt.Sprintf("%s:%d", s.ip(to), port), PPS: pps, Size: size, Count: count,
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the last packets in flight
	st, err := rx.Close()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestOVS runs every end-to-end case on one lab, in order: the lab lock
// is machine-wide, so one lab keeps the suite short.
func TestOVS(t *testing.T) {
	lab := ovslab.New(t)
	s := setupSW1(t, lab)

	t.Run("VLANs", func(t *testing.T) {
		s.reach(t, "h1", "h2", true)
		s.reach(t, "h1", "h4", true) // untagged to tagged on the same VLAN
		s.reach(t, "h4", "h6", true)
		s.reach(t, "h1", "h3", false) // office and guest are separate
		s.reach(t, "h4", "h3", false)
	})

	t.Run("Locate", func(t *testing.T) {
		// Where a MAC is learned is certain. An IP address is learned
		// only from packet-ins that carry it, and in a plain Faucet
		// pipeline a host's first packet may be an IPv6 report, after which
		// its ARP is switched without the controller seeing it; with a
		// voip: section the pipeline copies ARP to the controller (tested
		// in internal/voice).
		loc, ok := s.ctl.App().Manager().LocateMAC(s.hosts["h4"].MAC)
		if !ok || loc.Port != 4 || loc.VID != 100 || loc.DPID != dpid1 {
			t.Errorf("LocateMAC(h4) = %+v, %v; want port 4 VLAN 100", loc, ok)
		}
	})

	t.Run("ACLBlocksOneUDPPort", func(t *testing.T) {
		if st := s.udp(t, "h2", "h1", 5001, 20, 100, 100); st.Packets != 0 {
			t.Errorf("h2 -> h1 udp/5001: %d packets arrived; the ACL must drop them all", st.Packets)
		}
		if st := s.udp(t, "h2", "h1", 5002, 20, 100, 100); st.Packets != 20 {
			t.Errorf("h2 -> h1 udp/5002: %d of 20 packets arrived; only 5001 is blocked", st.Packets)
		}
		if st := s.udp(t, "h1", "h2", 5001, 20, 100, 100); st.Packets != 20 {
			t.Errorf("h1 -> h2 udp/5001: %d of 20 packets arrived; the ACL is on h2's ingress only", st.Packets)
		}
	})

	t.Run("Mirror", func(t *testing.T) {
		ctx := e2etest.Context(t, 30*time.Second)
		s.reach(t, "h6", "h2", true) // learned, so h6 -> h2 is not flooded
		capture := e2etest.Must[*ovslab.Capture](t)(s.hosts["h5"].Capture(ctx, "", "icmp"))
		if _, err := s.hosts["h1"].Ping(ctx, s.ip("h2"), 5); err != nil {
			t.Fatal(err)
		}
		if _, err := s.hosts["h6"].Ping(ctx, s.ip("h2"), 5); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		pkts := e2etest.Must[[]ovslab.Packet](t)(capture.Stop())
		var fromH1, fromH6 int
		for _, p := range pkts {
			switch p.Src.String() {
			case s.ip("h1"):
				fromH1++
			case s.ip("h6"):
				fromH6++
			}
		}
		if fromH1 < 5 {
			t.Errorf("mirror port saw %d ICMP packets from h1 (port 1), want at least the 5 requests", fromH1)
		}
		if fromH6 != 0 {
			t.Errorf("mirror port saw %d packets from h6; port 6 is not mirrored", fromH6)
		}
	})

	t.Run("MeterLimitsRate", func(t *testing.T) {
		// 2000 packets/s of 300 bytes is about 5 Mbit/s; the meter
		// allows 1000 kbit/s of UDP to port 6000 from h6.
		const pps, size, count = 2000, 300, 4000
		metered := s.udp(t, "h6", "h1", 6000, count, pps, size)
		free := s.udp(t, "h6", "h1", 6001, count, pps, size)
		rate := func(st ovslab.RecvStats) float64 {
			d := st.Last.Sub(st.First).Seconds()
			if d <= 0 {
				return 0
			}
			return float64(st.Bytes) * 8 / d / 1000
		}
		t.Logf("udp/6000 (metered): %d packets, %.0f kbit/s; udp/6001: %d packets, %.0f kbit/s",
			metered.Packets, rate(metered), free.Packets, rate(free))
		if metered.Packets == 0 {
			t.Fatal("metered stream: nothing arrived")
		}
		if r := rate(metered); r > 1600 {
			t.Errorf("metered stream arrived at %.0f kbit/s; the meter allows 1000", r)
		}
		// The unmetered stream shows what the datapath carried meanwhile;
		// on a loaded machine it can be less than the meter allows, so
		// the meter's own drop counter proves the cut.
		ms := e2etest.Must[[]ovslab.MeterStats](t)(s.lab.MeterStats("sw1"))
		var dropped uint64
		for _, m := range ms {
			if m.ID == 1 && len(m.Bands) > 0 {
				dropped = m.Bands[0].Packets
			}
		}
		if dropped == 0 {
			t.Errorf("meter 1 dropped nothing (stats %+v)", ms)
		}
		t.Logf("meter 1 dropped %d packets", dropped)
	})

	t.Run("HostMove", func(t *testing.T) {
		ctx := e2etest.Context(t, 30*time.Second)
		s.reach(t, "h2", "h6", true)
		if loc, _ := s.ctl.App().Manager().LocateMAC(s.hosts["h6"].MAC); loc.Port != 6 {
			t.Fatalf("h6 located on port %d before the move", loc.Port)
		}
		// h6 moves from port 6 to port 7 (also office, no ACL).
		if err := s.hosts["h6"].Port.Move("sw1", 7); err != nil {
			t.Fatal(err)
		}
		if err := s.hosts["h6"].WaitPing(ctx, s.ip("h2")); err != nil {
			t.Fatalf("h6 unreachable after moving: %v", err)
		}
		if err := s.hosts["h2"].WaitPing(ctx, s.ip("h6")); err != nil {
			t.Fatalf("h2 cannot reach h6 after the move: %v", err)
		}
		if loc, _ := s.ctl.App().Manager().LocateMAC(s.hosts["h6"].MAC); loc.Port != 7 {
			t.Errorf("h6 located on port %d after the move, want 7", loc.Port)
		}
		flows := e2etest.Must[[]ovslab.Flow](t)(s.lab.DumpFlows("sw1", "table=2"))
		mac := s.hosts["h6"].MAC.String()
		for _, f := range flows {
			if f.Match["dl_src"] == mac && f.Match["in_port"] != "7" {
				t.Errorf("stale learning flow for h6: %s", f.Text)
			}
		}
	})

	t.Run("ReloadTouchesOnlyChangedACL", func(t *testing.T) { testReload(t, s) })
	t.Run("RestartKeepsTraffic", func(t *testing.T) { testRestart(t, s) })
}

// testReload changes the ACL of port 2 and checks that the switch stays
// connected and every other flow keeps its counters and age.
func testReload(t *testing.T, s *sw1) {
	ctx := e2etest.Context(t, 30*time.Second)
	s.reach(t, "h1", "h2", true) // some traffic, so counters are non-zero
	syncs := s.ctl.Status(dpid1).Syncs
	before := e2etest.Must[[]ovslab.Flow](t)(s.lab.DumpFlows("sw1"))
	time.Sleep(1100 * time.Millisecond) // ages must visibly continue

	cfg := e2etest.Must[[]byte](t)(os.ReadFile(s.ctl.ConfigPath()))
	changed := strings.Replace(string(cfg), "udp_dst: 5001", "udp_dst: 5003", 1)
	s.ctl.WriteConfig(changed)
	if err := s.ctl.App().Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	after := e2etest.Must[[]ovslab.Flow](t)(s.lab.DumpFlows("sw1"))

	if st := s.ctl.Status(dpid1); !st.Connected || st.Syncs != syncs {
		t.Errorf("after the reload: connected=%v syncs=%d (was %d): the switch was reconnected", st.Connected, st.Syncs, syncs)
	}
	aft := byID(after)
	var kept, gone int
	for _, b := range before {
		if b.Table == 0 && b.Match["in_port"] == "2" {
			continue // port 2's ACL: the flows that were meant to change
		}
		a, ok := aft[flowID(b)]
		if !ok {
			gone++
			t.Errorf("flow changed or removed by an unrelated reload: %s", b.Text)
			continue
		}
		kept++
		if a.Duration < b.Duration+time.Second || a.Packets < b.Packets {
			t.Errorf("flow re-installed (age %s -> %s, packets %d -> %d): %s", b.Duration, a.Duration, b.Packets, a.Packets, b.Text)
		}
	}
	var has5003, has5001 bool
	for _, a := range after {
		dst := a.Match["tp_dst"] + a.Match["udp_dst"] // OVS prints either
		has5003 = has5003 || dst == "5003"
		has5001 = has5001 || dst == "5001"
	}
	if !has5003 || has5001 {
		t.Errorf("port 2's ACL not updated: udp_dst=5003 present %v, udp_dst=5001 present %v", has5003, has5001)
	}
	t.Logf("%d flows untouched by the reload", kept)
	if st := s.udp(t, "h2", "h1", 5001, 10, 100, 100); st.Packets != 10 {
		t.Errorf("after the reload udp/5001 delivered %d of 10", st.Packets)
	}
	if st := s.udp(t, "h2", "h1", 5003, 10, 100, 100); st.Packets != 0 {
		t.Errorf("after the reload udp/5003 delivered %d; the new rule must drop it", st.Packets)
	}
	// A broken file is rejected and the running configuration stays.
	s.ctl.WriteConfig("dps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: nosuchvlan}}}}\n")
	if err := s.ctl.App().Reload(ctx); err == nil {
		t.Error("a broken configuration was accepted")
	}
	if got := e2etest.Must[[]ovslab.Flow](t)(s.lab.DumpFlows("sw1")); len(got) != len(after) {
		t.Errorf("a rejected reload changed the flow table: %d flows, was %d", len(got), len(after))
	}
	s.ctl.WriteConfig(changed)
}

// testRestart stops the controller while a ping runs and starts a new one:
// no ping is lost (fail_mode secure keeps the flows) and the new controller
// ends with the same flow table, nothing re-installed.
func testRestart(t *testing.T, s *sw1) {
	ctx := e2etest.Context(t, 60*time.Second)
	s.reach(t, "h1", "h4", true)
	before := e2etest.Must[[]ovslab.Flow](t)(s.lab.DumpFlows("sw1"))

	var wg sync.WaitGroup
	var ping ovslab.PingStats
	var perr error
	wg.Go(func() { ping, perr = s.hosts["h1"].Ping(ctx, s.ip("h4"), 40) }) // 4 s
	time.Sleep(500 * time.Millisecond)
	s.ctl.Stop()
	if err := s.lab.WaitDisconnected(ctx, "sw1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	s.ctl.Restart()
	s.ctl.WaitSynced(ctx, dpid1, 1)
	wg.Wait()
	if perr != nil {
		t.Fatal(perr)
	}
	if ping.Received != ping.Sent {
		t.Errorf("ping across the restart lost %d of %d", ping.Sent-ping.Received, ping.Sent)
	}
	after := e2etest.Must[[]ovslab.Flow](t)(s.lab.DumpFlows("sw1"))
	aft := byID(after)
	for _, b := range before {
		a, ok := aft[flowID(b)]
		if !ok {
			t.Errorf("flow gone after the restart: %s", b.Text)
			continue
		}
		if a.Duration < b.Duration {
			t.Errorf("flow re-installed by the restart (age %s -> %s): %s", b.Duration, a.Duration, b.Text)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d flows after the restart, %d before", len(after), len(before))
	}
}
