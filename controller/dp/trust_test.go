package dp

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/faucet/stack"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// Port 1 is an access port (a phone or PC), 2 a trunk to a non-Faucet
// switch (tagged only), 3 a stack port to sw2.
const trustConfig = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    stack: {priority: 1}
    interfaces:
      1: {native_vlan: office}
      2: {tagged_vlans: [office]}
      3: {stack: {dp: sw2, port: 3}}
  sw2:
    dp_id: 2
    interfaces:
      1: {native_vlan: office}
      3: {stack: {dp: sw1, port: 3}}
voip:
  asterisk:
    pbx1: {host: 10.0.0.250, username: u, secret_env: X}
  qos:
    queue: 5
`

func trustSwitch(t *testing.T, yaml string) *oftable.Table {
	t.Helper()
	cfg, err := config.LoadFileBytes("trust.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.DP("sw1")
	q := qosOf(cfg)
	l := pipeline.NewLearned(compileOpts(q)...)
	top := stack.New(cfg)
	st := stack.State{Up: map[stack.End]bool{{DP: "sw1", Port: 3}: true, {DP: "sw2", Port: 3}: true},
		Live: map[string]bool{"sw1": true, "sw2": true}}
	l.SetStack(top.View("sw1", top.ElectRoot("", st), st))
	prog, err := compileDP(d, l, q)
	if err != nil {
		t.Fatal(err)
	}
	tbl := oftable.New(oftable.Config{NumTables: prog.Tables.Len(), Ports: []uint32{1, 2, 3}})
	if err := tbl.AddFlows(prog.AllFlows()...); err != nil {
		t.Fatal(err)
	}
	return tbl
}

func efPacket(in uint32) oftable.Packet {
	return oftable.Packet{
		InPort: in, EthSrc: oftable.MAC("0e:00:00:00:10:01"), EthDst: oftable.MAC("ff:ff:ff:ff:ff:ff"),
		EthType: 0x0800, IPSrc: netip.MustParseAddr("10.0.0.1"), IPDst: netip.MustParseAddr("10.0.0.255"),
		IPProto: 17, TTL: 64, L4Src: 40000, L4Dst: 9999, DSCP: 46,
	}
}

// outTo returns the trace's output to port, failing when there is none.
func outTo(t *testing.T, r oftable.Result, port uint32) oftable.Out {
	t.Helper()
	for _, o := range r.Outputs {
		if o.Port == port {
			return o
		}
	}
	t.Fatalf("no output to port %d: %v", port, r)
	return oftable.Out{}
}

// EF from an access port that no call flow matched leaves best effort; EF
// from a trunk or a stack port keeps its mark and goes into the voice
// queue, on every hop.
func TestTrustAndRemark(t *testing.T) {
	tbl := trustSwitch(t, trustConfig)
	r := tbl.Trace(efPacket(1))
	if o := outTo(t, r, 3); o.Packet.DSCP != 0 {
		t.Errorf("EF from the access port left with DSCP %d, want 0", o.Packet.DSCP)
	}
	r = tbl.Trace(efPacket(2).Tagged(100))
	if o := outTo(t, r, 1); o.Packet.DSCP != 46 || !o.QueueSet || o.Queue != 5 {
		t.Errorf("EF from the trunk: DSCP %d queue %v/%d, want 46 in queue 5", o.Packet.DSCP, o.QueueSet, o.Queue)
	}
	r = tbl.Trace(efPacket(3).Tagged(100))
	if o := outTo(t, r, 1); o.Packet.DSCP != 46 || !o.QueueSet || o.Queue != 5 {
		t.Errorf("EF from the stack: DSCP %d queue %v/%d, want 46 in queue 5", o.Packet.DSCP, o.QueueSet, o.Queue)
	}
	// Other DSCPs from the access port pass unchanged.
	p := efPacket(1)
	p.DSCP = 26
	if o := outTo(t, tbl.Trace(p), 3); o.Packet.DSCP != 26 {
		t.Errorf("AF31 from the access port changed to %d", o.Packet.DSCP)
	}
}

// Without a queue, trusted EF is still trusted: kept, not re-marked.
func TestTrustWithoutQueue(t *testing.T) {
	tbl := trustSwitch(t, strings.Replace(trustConfig, "    queue: 5\n", "    pinhole: strict\n", 1))
	for _, in := range []uint32{2, 3} {
		if o := outTo(t, tbl.Trace(efPacket(in).Tagged(100)), 1); o.Packet.DSCP != 46 || o.QueueSet {
			t.Errorf("EF from trusted port %d: DSCP %d queued %v, want 46 unqueued", in, o.Packet.DSCP, o.QueueSet)
		}
		// Strict mode drops RTP-range UDP at the edge, not in transit.
		p := efPacket(in).Tagged(100)
		p.IPDst, p.L4Dst = netip.MustParseAddr("10.0.0.250"), 10002
		outTo(t, tbl.Trace(p), 1)
	}
	if o := outTo(t, tbl.Trace(efPacket(1)), 3); o.Packet.DSCP != 0 {
		t.Errorf("EF from the access port left with DSCP %d, want 0", o.Packet.DSCP)
	}
}

// With trust off and re-marking off, EF passes untouched and unqueued.
func TestTrustOff(t *testing.T) {
	tbl := trustSwitch(t, trustConfig+"    trust: []\n    remark_untrusted: false\n")
	for _, in := range []uint32{1, 3} {
		p := efPacket(in)
		if in == 3 {
			p = p.Tagged(100)
		}
		out := uint32(3)
		if in == 3 {
			out = 1
		}
		if o := outTo(t, tbl.Trace(p), out); o.Packet.DSCP != 46 || o.QueueSet {
			t.Errorf("from port %d: DSCP %d queued %v, want 46 unqueued", in, o.Packet.DSCP, o.QueueSet)
		}
	}
	_ = of13.PortController
}
