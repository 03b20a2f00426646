package pipeline

import (
	"slices"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

func TestUnknownSourceGoesToController(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	r := s.tbl.Trace(eth(1, h1, h2))
	var pktin bool
	for _, o := range r.Outputs {
		if o.Port == of13.PortController {
			pktin = true
			if o.VID() != 100|of13.OXMVlanPresent {
				t.Fatalf("learning packet-in must carry the native VLAN tag, got vid %#x", o.VID())
			}
		}
	}
	if !pktin {
		t.Fatalf("unknown source not sent to controller:\n%v", r)
	}
	s.send(eth(1, h1, h2))
	if r := s.tbl.Trace(eth(1, h1, h2)); slices.Contains(outs(r), "ctl") {
		t.Fatalf("learned source still sent to controller:\n%v", r)
	}
}

func TestLearnedHostFlows(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	s.send(eth(1, h1, h2))
	fs := s.prog.Flows[HostOwner(100, mac(h1))]
	if len(fs) != 2 {
		t.Fatalf("want eth_src and eth_dst flows, got:\n%s", flowText(fs))
	}
	src, dst := fs[0], fs[1]
	srcID, _ := s.prog.Tables.ID(TableEthSrc)
	dstID, _ := s.prog.Tables.ID(TableEthDst)
	if src.Table != srcID || dst.Table != dstID {
		t.Fatalf("tables %d,%d want %d,%d", src.Table, dst.Table, srcID, dstID)
	}
	dp := s.dp
	if src.IdleTimeout != 0 || int(src.HardTimeout) > dp.Timeout || int(src.HardTimeout) < dp.Timeout-dp.LearnJitter {
		t.Fatalf("eth_src timeouts idle=%d hard=%d, want hard in [%d,%d]", src.IdleTimeout, src.HardTimeout,
			dp.Timeout-dp.LearnJitter, dp.Timeout)
	}
	if dst.HardTimeout != 0 || int(dst.IdleTimeout) != int(src.HardTimeout)+dp.CacheUpdateGuardTime {
		t.Fatalf("eth_dst idle=%d hard=%d, want idle %d (source expires first)", dst.IdleTimeout, dst.HardTimeout,
			int(src.HardTimeout)+dp.CacheUpdateGuardTime)
	}
	if src.Priority != priorityMatch-1 || dst.Priority != priorityMatch || src.Cookie != 0x5adc15c0 {
		t.Fatalf("priorities/cookie: %s / %s", src.String(), dst.String())
	}
	wantDst := []of13.Action{of13.PopVLAN(), of13.Output(1)}
	if !equalActions(dst.Instr.Apply, wantDst) {
		t.Fatalf("eth_dst actions %v want %v", dst.Instr.Apply, wantDst)
	}
	// Jitter differs per MAC but not per call.
	a, _, _ := hostTimeouts(dp, dp.Ports[0], mac(h1))
	b, _, _ := hostTimeouts(dp, dp.Ports[0], mac(h1))
	if a != b {
		t.Fatal("timeout jitter must be deterministic")
	}
}

func TestHostMove(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	s.send(eth(2, h2, "ff:ff:ff:ff:ff:ff"))
	s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	wantOuts(t, "before move", s.send(eth(2, h2, h1)), "1:u")
	// Within the guard time a move is still learned (no loop_protect).
	s.advance(time.Second)
	res := s.learned.Learn(s.now, s.dp, 3, 100, mac(h1))
	if res.Outcome != OutcomeMoved || res.Owner != HostOwner(100, mac(h1)) {
		t.Fatalf("move: %+v", res)
	}
	s.checkLearnResult(res)
	s.reload()
	wantOuts(t, "after move to trunk", s.send(eth(2, h2, h1)), "3:100")
	// Frames from the old port are unknown again there: sent to learn.
	if r := s.tbl.Trace(eth(1, h1, h2)); !slices.Contains(outs(r), "ctl") {
		t.Fatalf("old port still trusted:\n%v", r)
	}
}

func TestRelearnGuardAndRefresh(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	first := s.learned.Learn(s.now, s.dp, 1, 100, mac(h1))
	if first.Outcome != OutcomeLearned {
		t.Fatalf("first learn: %+v", first)
	}
	s.advance(10 * time.Second)
	if r := s.learned.Learn(s.now, s.dp, 1, 100, mac(h1)); r.Outcome != OutcomeIgnored || r.Owner != "" {
		t.Fatalf("relearn within guard time must be ignored: %+v", r)
	}
	s.advance(time.Duration(s.dp.CacheUpdateGuardTime) * time.Second)
	r := s.learned.Learn(s.now, s.dp, 1, 100, mac(h1))
	if r.Outcome != OutcomeRefreshed || flowText(r.Flows) != flowText(first.Flows) {
		t.Fatalf("refresh must re-install the same flows: %+v", r)
	}
}

func TestExpire(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	s.learned.Learn(s.now, s.dp, 1, 100, mac(h1))
	s.advance(100 * time.Second)
	s.learned.Learn(s.now, s.dp, 2, 100, mac(h2))
	s.advance(time.Duration(s.dp.Timeout-50) * time.Second)
	if got := s.learned.Expire(s.now, s.dp); !slices.Equal(got, []string{HostOwner(100, mac(h1))}) {
		t.Fatalf("expired %v, want only h1", got)
	}
	if _, ok := s.learned.Host(100, mac(h1)); ok {
		t.Fatal("h1 still learned")
	}
	s.reload()
	if _, ok := s.prog.Flows[HostOwner(100, mac(h1))]; ok {
		t.Fatal("expired host still compiled")
	}
	if got := s.learned.PortDown(2); !slices.Equal(got, []string{HostOwner(100, mac(h2))}) {
		t.Fatalf("PortDown %v", got)
	}
}

const maxHostsConfig = `
vlans:
  office: {vid: 100, max_hosts: 3}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, max_hosts: 2}
      2: {native_vlan: office}
      3: {native_vlan: office}
`

func TestMaxHostsPort(t *testing.T) {
	s := newSwitch(t, maxHostsConfig)
	s.send(eth(1, "00:00:00:00:01:01", "ff:ff:ff:ff:ff:ff"))
	s.send(eth(1, "00:00:00:00:01:02", "ff:ff:ff:ff:ff:ff"))
	res := s.learned.Learn(s.now, s.dp, 1, 100, mac("00:00:00:00:01:03"))
	if res.Outcome != OutcomeBanned || res.Owner != PortBanOwner(1) {
		t.Fatalf("third host on a max_hosts 2 port: %+v", res)
	}
	if s.learned.HostsOnPort(1) != 2 {
		t.Fatalf("banned host was learned")
	}
	s.checkLearnResult(res)
	s.reload()
	// Unknown sources on the port are dropped, not punted or flooded;
	// learned hosts still forward.
	if r := s.tbl.Trace(eth(1, "00:00:00:00:01:03", "ff:ff:ff:ff:ff:ff")); !r.Dropped {
		t.Fatalf("unknown source on banned port not dropped:\n%v", r)
	}
	wantOuts(t, "learned host on banned port", s.tbl.Trace(eth(1, "00:00:00:00:01:01", "ff:ff:ff:ff:ff:ff")), "2:u", "3:u")
	// The ban has a hard timeout on the switch and ends in Learned too.
	if f := res.Flows[0]; int(f.HardTimeout) != s.dp.LearnBanTimeout {
		t.Fatalf("ban hard_timeout %d want %d", f.HardTimeout, s.dp.LearnBanTimeout)
	}
	s.advance(time.Duration(s.dp.LearnBanTimeout) * time.Second)
	if got := s.learned.Expire(s.now, s.dp); !slices.Contains(got, PortBanOwner(1)) {
		t.Fatalf("ban not expired: %v", got)
	}
}

func TestMaxHostsVLAN(t *testing.T) {
	s := newSwitch(t, maxHostsConfig)
	for i, p := range []uint32{1, 2, 3} {
		s.learned.Learn(s.now, s.dp, p, 100, mac("00:00:00:00:02:0"+string(rune('1'+i))))
	}
	res := s.learned.Learn(s.now, s.dp, 3, 100, mac("00:00:00:00:02:09"))
	if res.Outcome != OutcomeBanned || res.Owner != VLANBanOwner(100) {
		t.Fatalf("fourth host on a max_hosts 3 VLAN: %+v", res)
	}
	s.reload()
	if r := s.tbl.Trace(eth(2, "00:00:00:00:02:09", "ff:ff:ff:ff:ff:ff")); !r.Dropped {
		t.Fatalf("unknown source on banned VLAN not dropped:\n%v", r)
	}
}

func TestPermanentLearn(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, permanent_learn: true}
      2: {native_vlan: office}
`)
	s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	fs := s.prog.Flows[HostOwner(100, mac(h1))]
	for _, f := range fs {
		if f.IdleTimeout != 0 || f.HardTimeout != 0 {
			t.Fatalf("permanent host flow with timeout: %s", f.String())
		}
	}
	s.advance(time.Hour)
	if got := s.learned.Expire(s.now, s.dp); len(got) != 0 {
		t.Fatalf("permanent host expired: %v", got)
	}
	res := s.learned.Learn(s.now, s.dp, 2, 100, mac(h1))
	if res.Outcome != OutcomeDenied {
		t.Fatalf("permanent host seen elsewhere: %+v", res)
	}
	s.checkLearnResult(res)
	s.reload()
	if r := s.tbl.Trace(eth(2, h1, "ff:ff:ff:ff:ff:ff")); !r.Dropped {
		t.Fatalf("spoofed permanent host on port 2 not dropped:\n%v", r)
	}
	wantOuts(t, "real host still works", s.tbl.Trace(eth(1, h1, "ff:ff:ff:ff:ff:ff")), "2:u")
}

func TestLoopProtect(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office, loop_protect: true}
`)
	s.learned.Learn(s.now, s.dp, 1, 100, mac(h1))
	s.advance(time.Second)
	res := s.learned.Learn(s.now, s.dp, 2, 100, mac(h1))
	if res.Outcome != OutcomeBanned || res.Owner != PortBanOwner(2) {
		t.Fatalf("rapid move onto a loop_protect port: %+v", res)
	}
	if h, _ := s.learned.Host(100, mac(h1)); h.Port != 1 {
		t.Fatalf("host moved despite loop protection: %+v", h)
	}
	// Still banned while packets keep arriving within the guard time.
	s.advance(time.Second)
	if r := s.learned.Learn(s.now, s.dp, 2, 100, mac(h2)); r.Outcome != OutcomeBanned {
		t.Fatalf("ban not prolonged: %+v", r)
	}
}

func TestLearnIgnoresBadInput(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	for _, c := range []struct {
		port uint32
		vid  uint16
		mac  string
	}{
		{99, 100, h1},                 // unknown port
		{1, 200, h1},                  // VLAN not on port
		{1, 100, "01:00:5e:00:00:01"}, // multicast source
	} {
		if r := s.learned.Learn(s.now, s.dp, c.port, c.vid, mac(c.mac)); r.Outcome != OutcomeIgnored || r.Owner != "" {
			t.Fatalf("%+v: %+v", c, r)
		}
	}
}
