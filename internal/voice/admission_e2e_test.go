package voice

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/agi/agisim"
	"github.com/voipsdn/voipsdn/ami/tracker"
	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/internal/ovslab"
	"github.com/voipsdn/voipsdn/qos"
)

// TestAdmissionOnOVS: with the PBX's port budgeted for one call (two
// G.711 legs each crossing it), the first call gets its per-call flows and
// EF; the second, over budget, gets none and its RTP arrives unmarked; a
// third asked through FastAGI before answer is refused
// (VOIPSDN_QOS=rejected); the best-effort policing flows are on the switch
// with their meter.
func TestAdmissionOnOVS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	agiAddr := ln.Addr().String()
	ln.Close()
	cfg := strings.Replace(agiLabConfig, "AGIADDR", agiAddr, 1)
	cfg = strings.Replace(cfg, "      emergency: {dscp: 34, meter: false}\n", "      emergency: {dscp: 34, meter: false}\n      plain: {}\n"+
		"    admission:\n      links:\n        pbx: {dp: sw1, port: pbx, capacity_kbps: 400, voice_share_percent: 50, police_best_effort: true}\n", 1)
	e := newE2E(t, config.PinholeOff, func(e *e2e) { e.cfgText = cfg })
	first, _ := e.call(23000)
	e.waitFlows(8, 10*time.Second)
	second, media := e.call(23100)
	// The second call's media is known, so it has been decided: still
	// only the first call's flows.
	for _, f := range e.waitFlows(8, 5*time.Second) {
		if qos.CallKey(f.Cookie) != qos.CallCookie("pbx", first) {
			t.Errorf("flow of another call than the first: %s", f.Text)
		}
	}
	for _, m := range media {
		if m.Remote.Port() != 23100 || hostOf(m.Remote.Addr()) != "phone201" {
			continue
		}
		if st := e.stream("phone201", 23100, m.Local, "pbx", time.Second); st.Packets < 40 || st.DSCP[0] != st.Packets {
			t.Errorf("over-budget call %s: %d packets, DSCP %v; want all unmarked", second, st.Packets, st.DSCP)
		}
	}
	env := "agi_network: yes\nagi_network_script: qos?class=plain\nagi_request: agi://voipsdn:4573/qos?class=plain\n" +
		"agi_channel: PJSIP/201-00000009\nagi_uniqueid: 1796624999.9\n\n"
	tr, err := agisim.Run(e.ctx, agiAddr, agisim.Scenario{Env: []byte(env), Channel: agisim.Channel{Uniqueid: "1796624999.9"}}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tr.Commands, "SET VARIABLE VOIPSDN_QOS rejected") {
		t.Errorf("FastAGI over budget answered %q, want rejected", tr.Commands)
	}
	filter := "cookie=0x" + strconv.FormatUint(qos.CookieBestEffort, 16) + "/0x" + strconv.FormatUint(qos.CookieCategoryMask, 16)
	be, err := e.lab.DumpFlows("sw1", filter)
	if err != nil {
		t.Fatal(err)
	}
	meter := "meter:" + strconv.FormatUint(uint64(qos.BestEffortMeterID(0)), 10)
	n := 0
	for _, f := range be {
		if strings.Contains(f.Actions, meter) {
			n++
		}
	}
	if len(be) != 6 || n != 3 {
		t.Errorf("best-effort flows on sw1 (%d with %s): %v", n, meter, be)
	}
}

// TestAdmissionOverBudgetIsBestEffortOnOVS: with pinhole: mark the
// standing flows mark the PBX's whole RTP range EF, so a call over
// budget must be made best effort explicitly: its legs get per-call flows
// that set DSCP 0 above the standing ones. With the PBX's port budgeted
// for one call, the first call's RTP and RTCP arrive EF, the second's
// arrive DSCP 0 (though the sending phone marks them EF itself), and
// hanging up leaves no flow or meter.
func TestAdmissionOverBudgetIsBestEffortOnOVS(t *testing.T) {
	cfg := labConfig + "    admission:\n      links:\n        pbx: {dp: sw1, port: pbx, capacity_kbps: 400, voice_share_percent: 50}\n"
	e := newE2E(t, config.PinholeMark, func(e *e2e) { e.cfgText = cfg })
	first, firstMedia := e.call(23000)
	e.waitFlows(8, 10*time.Second)
	second, secondMedia := e.call(23100)
	// Both calls' legs x two directions x RTP+RTCP: the second call's are
	// best-effort flows.
	e.waitFlows(16, 10*time.Second)
	check := func(media []tracker.MediaKnown, port uint16, want uint8) {
		t.Helper()
		for _, m := range media {
			if m.Remote.Port() != port {
				continue
			}
			phone := hostOf(m.Remote.Addr())
			for _, off := range []uint16{0, 1} { // RTP, RTCP
				src := int(m.Remote.Port() + off)
				dst := netip.AddrPortFrom(m.Local.Addr(), m.Local.Port()+off)
				up := e.streamDSCP(phone, src, dst, "pbx", time.Second, 46)
				back := e.streamDSCP("pbx", int(m.Local.Port()+off), netip.AddrPortFrom(m.Remote.Addr(), m.Remote.Port()+off), phone, time.Second, 46)
				for name, st := range map[string]ovslab.RecvStats{phone + "->pbx": up, "pbx->" + phone: back} {
					if st.Packets < 40 || st.DSCP[want] != st.Packets {
						t.Errorf("call on port %d, %s port+%d: %d packets, DSCP %v; want all %d", port, name, off, st.Packets, st.DSCP, want)
					}
				}
			}
		}
	}
	check(firstMedia, 23000, 46)
	check(secondMedia, 23100, 0)
	if err := e.sim.Hangup(second, 16); err != nil {
		t.Fatal(err)
	}
	for _, f := range e.waitFlows(8, 5*time.Second) {
		if qos.CallKey(f.Cookie) != qos.CallCookie("pbx", first) {
			t.Errorf("flow of another call than the first after the second hung up: %s", f.Text)
		}
	}
	if err := e.sim.Hangup(first, 16); err != nil {
		t.Fatal(err)
	}
	e.waitFlows(0, 5*time.Second)
	if meters, err := e.lab.DumpMeters("sw1"); err != nil || len(meters) != 0 {
		t.Errorf("meters left after hang-up: %v %v", meters, err)
	}
}
