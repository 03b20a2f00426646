package voice

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/ami/amisim"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/qos"
)

// streamDSCP is stream with the sender marking its packets dscp itself,
// as phones do.
func (e *e2e) streamDSCP(from string, srcPort int, dst netip.AddrPort, to string, d time.Duration, dscp uint8) ovslab.RecvStats {
	e.t.Helper()
	rx, err := e.lab.Host(to).ReceiveUDP(dst.String())
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.lab.Host(from).SendUDPStream(e.ctx, ovslab.Stream{Dst: dst.String(), SrcPort: srcPort, Duration: d, DSCP: dscp}); err != nil {
		e.t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	st, _ := rx.Close()
	return st
}

func TestCallGetsEFAndNothingIsLeftAfterHangup(t *testing.T) {
	e := newE2E(t, config.PinholeMark)
	simID, legs := e.call(20000)
	if len(legs) != 2 {
		t.Fatalf("want 2 legs, got %d", len(legs))
	}
	// Two legs x two directions x RTP+RTCP.
	e.waitFlows(8, 5*time.Second)

	for _, m := range legs {
		phone := hostOf(m.Remote.Addr())
		up := e.stream(phone, int(m.Remote.Port()), m.Local, "pbx", time.Second)
		down := e.stream("pbx", int(m.Local.Port()), m.Remote, phone, time.Second)
		for name, st := range map[string]ovslab.RecvStats{phone + "->pbx": up, "pbx->" + phone: down} {
			if st.Packets < 40 || st.DSCP[46] != st.Packets {
				t.Errorf("%s RTP: %d packets, %d with DSCP 46; want ~50, all EF", name, st.Packets, st.DSCP[46])
			}
		}
	}
	// RTCP (RTP ports + 1) is marked both ways, by the per-call flows.
	for _, m := range legs {
		phone := hostOf(m.Remote.Addr())
		up := e.stream(phone, int(m.Remote.Port()+1), netip.AddrPortFrom(m.Local.Addr(), m.Local.Port()+1), "pbx", time.Second)
		down := e.stream("pbx", int(m.Local.Port()+1), netip.AddrPortFrom(m.Remote.Addr(), m.Remote.Port()+1), phone, time.Second)
		for name, st := range map[string]ovslab.RecvStats{phone + "->pbx": up, "pbx->" + phone: down} {
			if st.Packets < 40 || st.DSCP[46] != st.Packets {
				t.Errorf("%s RTCP: %d packets, %d with DSCP 46; want ~50, all EF", name, st.Packets, st.DSCP[46])
			}
		}
	}
	// Other traffic between the same hosts keeps its marking.
	other := e.stream("phone201", 9999, netip.MustParseAddrPort("10.0.100.1:9999"), "pbx", time.Second)
	if other.Packets < 40 || other.DSCP[0] != other.Packets {
		t.Errorf("non-call UDP: %d packets, DSCP %v; want all best effort", other.Packets, other.DSCP)
	}
	// The per-call flows carried the call's packets, RTP and RTCP (the
	// standing flows would have marked them too: the counters show which
	// flow did).
	for _, f := range e.callFlows() {
		if f.Packets == 0 {
			t.Errorf("per-call flow never hit: %s", f.Text)
		}
	}

	if err := e.sim.Hangup(simID, 16); err != nil {
		t.Fatal(err)
	}
	e.waitFlows(0, 2*time.Second)
	if meters, err := e.lab.DumpMeters("sw1"); err != nil || len(meters) != 0 {
		t.Errorf("meters left after hang-up: %v %v", meters, err)
	}
}

// TestDirectMediaCallGetsEF: with direct media the phones send RTP to each
// other once the call is bridged, and Asterisk leaves the path. The legs'
// flows move from phone<->PBX to phone<->phone: the phones' RTP (on ports
// outside the PBX's range, so only per-call flows can mark it) arrives EF
// both ways, other UDP between the same phones does not, and nothing is
// left after the hang-up.
func TestDirectMediaCallGetsEF(t *testing.T) {
	e := newE2E(t, config.PinholeMark)
	a := netip.MustParseAddrPort("10.0.100.201:30000")
	b := netip.MustParseAddrPort("10.0.100.202:30002")
	simID, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw", AnswerAfter: 200 * time.Millisecond,
		FromRTP: a, ToRTP: b, DirectMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	// Once both legs are answered and bridged, and before the tracker
	// reports the media direct, the phone-to-phone flows are in place:
	// the phones' first direct packets are EF.
	e.waitPeerFlowsBeforeDirect(a, b)
	for _, dir := range []struct {
		from, to string
		src, dst netip.AddrPort
	}{{"phone201", "phone202", a, b}, {"phone202", "phone201", b, a}} {
		st := e.stream(dir.from, int(dir.src.Port()), dir.dst, dir.to, 500*time.Millisecond)
		if st.Packets < 20 || st.DSCP[46] != st.Packets {
			t.Errorf("%s -> %s first direct RTP: %d packets, %d with DSCP 46; want ~25, all EF", dir.from, dir.to, st.Packets, st.DSCP[46])
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for direct := 0; direct < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("direct media never reported: %+v", e.media)
		}
		time.Sleep(50 * time.Millisecond)
		direct = 0
		e.mu.Lock()
		for _, ms := range e.media {
			for _, m := range ms {
				if m.Direct && (m.Remote == a && m.Local == b || m.Remote == b && m.Local == a) {
					direct++
				}
			}
		}
		e.mu.Unlock()
	}
	// Each leg keeps the stream its own phone sends: RTP and RTCP.
	flows := e.waitFlows(4, 5*time.Second)
	for _, f := range flows {
		if f.Match["nw_src"] == "10.0.100.1" || f.Match["nw_dst"] == "10.0.100.1" {
			t.Errorf("a flow through the PBX outlived direct media: %s", f.Text)
		}
	}
	for _, dir := range []struct {
		from, to string
		src, dst netip.AddrPort
	}{{"phone201", "phone202", a, b}, {"phone202", "phone201", b, a}} {
		st := e.stream(dir.from, int(dir.src.Port()), dir.dst, dir.to, time.Second)
		if st.Packets < 40 || st.DSCP[46] != st.Packets {
			t.Errorf("%s -> %s direct RTP: %d packets, %d with DSCP 46; want ~50, all EF", dir.from, dir.to, st.Packets, st.DSCP[46])
		}
	}
	other := e.stream("phone201", 30100, b, "phone202", time.Second)
	if other.Packets < 40 || other.DSCP[0] != other.Packets {
		t.Errorf("other UDP between the phones: %d packets, DSCP %v; want all best effort", other.Packets, other.DSCP)
	}
	// On hold Asterisk takes the media back (music on hold): the legs'
	// flows go back through the PBX, and come out again on unhold.
	if err := e.sim.Hold(simID, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range e.waitFlows(8, 5*time.Second) {
		if f.Match["nw_src"] != "10.0.100.1" && f.Match["nw_dst"] != "10.0.100.1" {
			t.Errorf("a direct flow outlived the hold: %s", f.Text)
		}
	}
	if err := e.sim.Hold(simID, false); err != nil {
		t.Fatal(err)
	}
	e.waitFlows(4, 5*time.Second)
	if err := e.sim.Hangup(simID, 16); err != nil {
		t.Fatal(err)
	}
	e.waitFlows(0, 2*time.Second)
	if meters, err := e.lab.DumpMeters("sw1"); err != nil || len(meters) != 0 {
		t.Errorf("meters left after hang-up: %v %v", meters, err)
	}
}

func TestStrictModeOnlyCallsPass(t *testing.T) {
	e := newE2E(t, config.PinholeStrict)
	_, legs := e.call(20100)
	e.waitFlows(8, 5*time.Second)
	m := legs[0]
	phone := hostOf(m.Remote.Addr())
	if st := e.stream(phone, int(m.Remote.Port()), m.Local, "pbx", time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTP through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	if st := e.stream("pbx", int(m.Local.Port()), m.Remote, phone, time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTP back through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	// RTCP (RTP ports + 1, both in the PBX's range, which strict mode
	// drops) has pinholes of its own, both ways.
	rtcp := func(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr(), a.Port()+1) }
	if st := e.stream(phone, int(m.Remote.Port()+1), rtcp(m.Local), "pbx", time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTCP through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	if st := e.stream("pbx", int(m.Local.Port()+1), rtcp(m.Remote), phone, time.Second); st.Packets < 40 || st.DSCP[46] != st.Packets {
		t.Errorf("the call's RTCP back through the pinhole: %d packets, %d EF", st.Packets, st.DSCP[46])
	}
	if st := e.stream("intruder", 40000, m.Local, "pbx", time.Second); st.Packets != 0 {
		t.Errorf("UDP into the PBX's RTP port from a host not in the call: %d packets arrived, want 0", st.Packets)
	}
	if st := e.stream("intruder", 40001, rtcp(m.Local), "pbx", time.Second); st.Packets != 0 {
		t.Errorf("UDP into the PBX's RTCP port from a host not in the call: %d packets arrived, want 0", st.Packets)
	}
	if st := e.stream("intruder", 40000, netip.MustParseAddrPort("10.0.100.1:9999"), "pbx", time.Second); st.Packets < 40 {
		t.Errorf("UDP outside the RTP range from the same host: %d packets, want ~50", st.Packets)
	}
}

// TestChurnLeavesNothingBehind places 1,000 calls while the AMI
// connection is dropped, the switch reconnects and the controller
// restarts, and checks that every call that was answered had its flows and
// that no per-call flow or meter is left at the end.
func TestChurnLeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("churn test: about a minute")
	}
	e := newE2E(t, config.PinholeMark)
	rng := rand.New(rand.NewPCG(7, 11))
	const calls = 1000
	var ids []string
	for i := 0; i < calls; i++ {
		port := uint16(20000 + 2*(i%4000))
		id, err := e.sim.PlaceCall(amisim.CallSpec{From: "201", To: "202", Codec: "ulaw",
			// Calls outlast a controller restart (a few seconds), as real
			// ones do; a call that lived and died entirely while no
			// controller ran could not have had flows.
			AnswerAfter: 50 * time.Millisecond, Hold: 3*time.Second + time.Duration(rng.IntN(2000))*time.Millisecond,
			FromRTP: netip.AddrPortFrom(netip.MustParseAddr("10.0.100.201"), port),
			ToRTP:   netip.AddrPortFrom(netip.MustParseAddr("10.0.100.202"), port),
			// A third of the calls move their media phone to phone,
			// replacing their flows mid-call.
			DirectMedia: i%3 == 0})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		switch i {
		case 150, 420, 830:
			e.sim.DropConnections()
		case 300, 700:
			// The switch loses its controller connection and comes back.
			if err := e.lab.DelController("sw1"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			if err := e.lab.SetController("sw1", "tcp:"+e.ofAddr); err != nil {
				t.Fatal(err)
			}
		case 550:
			// The restarted controller knows no host addresses (the hosts
			// send nothing in this test, so they never ARP again): it must
			// find the call endpoints by probing for them.
			e.restartController()
		}
		time.Sleep(15 * time.Millisecond)
	}
	// All calls hang up by themselves.
	deadline := time.Now().Add(60 * time.Second)
	for len(e.sim.ActiveCalls()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still up", len(e.sim.ActiveCalls()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.waitFlows(0, 20*time.Second)
	meters, err := e.lab.DumpMeters("sw1")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range meters {
		if m.ID >= qos.MeterIDBase {
			t.Errorf("per-call meter %d left behind", m.ID)
		}
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	missing := 0
	var which []int
	for i, id := range ids {
		if !e.rec.cookies[qos.CallCookie("pbx", id)] {
			missing++
			which = append(which, i)
		}
	}
	if missing > 0 {
		t.Logf("calls without flows, by index: %v", which)
	}
	if missing > 0 {
		t.Errorf("%d of %d answered calls never had per-call flows", missing, calls)
	}
}
