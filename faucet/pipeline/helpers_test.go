package pipeline

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// loadDP parses a literal Faucet config and returns its only (or named) DP.
func loadDP(t testing.TB, yaml string, name ...string) *config.DP {
	t.Helper()
	cfg, err := config.LoadFileBytes("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if len(name) > 0 {
		dp := cfg.DP(name[0])
		if dp == nil {
			t.Fatalf("no dp %s", name[0])
		}
		return dp
	}
	if len(cfg.DPs) != 1 {
		t.Fatalf("want one dp, have %d", len(cfg.DPs))
	}
	return cfg.DPs[0]
}

// testSwitch is a DP's compiled program loaded into the in-memory switch,
// with learning driven by the packet-ins the switch produces, the way the
// runtime drives it.
type testSwitch struct {
	t       testing.TB
	dp      *config.DP
	opts    []Option
	learned *Learned
	prog    *Program
	tbl     *oftable.Table
	now     time.Time
}

func newSwitch(t testing.TB, yaml string, opts ...Option) *testSwitch {
	t.Helper()
	s := &testSwitch{t: t, dp: loadDP(t, yaml), opts: opts, learned: NewLearned(opts...),
		now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.reload()
	return s
}

// reload compiles and loads a fresh switch: meters and groups first, then
// every flow.
func (s *testSwitch) reload() {
	s.t.Helper()
	p, err := Compile(s.dp, s.learned, s.opts...)
	if err != nil {
		s.t.Fatalf("Compile: %v", err)
	}
	s.prog = p
	var ports []uint32
	for _, p := range s.dp.Ports {
		ports = append(ports, p.Number)
	}
	tbl := oftable.New(oftable.Config{NumTables: p.Tables.Len(), Ports: ports})
	var msgs []of13.Message
	for _, m := range p.Meters {
		msgs = append(msgs, of13.MeterMod{Command: of13.ModAdd, Meter: m})
	}
	for _, g := range p.Groups {
		msgs = append(msgs, of13.GroupMod{Command: of13.ModAdd, Group: g})
	}
	if err := tbl.Apply(msgs...); err != nil {
		s.t.Fatalf("meters/groups: %v", err)
	}
	if err := tbl.AddFlows(p.AllFlows()...); err != nil {
		s.t.Fatalf("flows rejected by the switch model: %v", err)
	}
	s.tbl = tbl
}

// send traces a packet; packet-ins it causes are classified and learned,
// and the switch is reloaded with the new program. It returns the trace of
// the packet itself.
func (s *testSwitch) send(pkt oftable.Packet) oftable.Result {
	s.t.Helper()
	r := s.tbl.Trace(pkt)
	learned := false
	for _, o := range r.Outputs {
		if o.Port != of13.PortController {
			continue
		}
		parsed := Packet{EthSrc: o.Packet.EthSrc, EthDst: o.Packet.EthDst, EthType: o.Packet.EthType}
		if len(o.Packet.VLANs) > 0 {
			parsed.Tagged, parsed.VLAN = true, o.Packet.VLANs[0].VID
		}
		c := Classify(s.dp, pkt.InPort, &parsed)
		if c.Learnable {
			res := s.learned.Learn(s.now, s.dp, pkt.InPort, c.VID, pkt.EthSrc)
			s.checkLearnResult(res)
			learned = learned || res.Owner != ""
		}
	}
	if learned {
		s.reload()
	}
	return r
}

// checkLearnResult asserts Learn's flows are exactly what Compile emits
// for the same owner, so the runtime may apply either.
func (s *testSwitch) checkLearnResult(res LearnResult) {
	s.t.Helper()
	if res.Owner == "" {
		return
	}
	p, err := Compile(s.dp, s.learned, s.opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	got, want := flowText(res.Flows), flowText(p.Flows[res.Owner])
	if got != want {
		s.t.Fatalf("Learn flows for %s differ from Compile's:\n%s\nvs\n%s", res.Owner, got, want)
	}
}

func (s *testSwitch) advance(d time.Duration) { s.now = s.now.Add(d) }

func flowText(fs []of13.Flow) string {
	var b strings.Builder
	for i := range fs {
		b.WriteString(fs[i].String())
		b.WriteByte('\n')
	}
	return b.String()
}

// eth builds an untagged frame (IPv4/UDP unless changed by the caller).
type testPacket = oftable.Packet

func eth(in uint32, src, dst string) oftable.Packet {
	return oftable.Packet{
		InPort: in, EthSrc: oftable.MAC(src), EthDst: oftable.MAC(dst),
		EthType: EthTypeIPv4, IPSrc: netip.MustParseAddr("10.0.0.1"), IPDst: netip.MustParseAddr("10.0.0.2"),
		IPProto: IPProtoUDP, TTL: 64, L4Src: 40000, L4Dst: 5060,
	}
}

// tagged adds a VLAN tag to a frame.
func tagged(p oftable.Packet, vid uint16) oftable.Packet { return p.Tagged(vid) }

// outs summarises a trace's outputs as "port:vid" strings ("2:u" untagged,
// "3:100" tagged, "ctl" controller), sorted.
func outs(r oftable.Result) []string {
	var out []string
	for _, o := range r.Outputs {
		switch {
		case o.Port == of13.PortController:
			out = append(out, "ctl")
		case o.VID() == 0:
			out = append(out, itoa(o.Port)+":u")
		default:
			out = append(out, itoa(o.Port)+":"+itoa(uint32(o.VID()&0xfff)))
		}
	}
	slices.Sort(out)
	return out
}

func itoa(n uint32) string {
	return strings.TrimPrefix(of13.Output(n).String(), "output:")
}

func wantOuts(t testing.TB, what string, r oftable.Result, want ...string) {
	t.Helper()
	got := outs(r)
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: outputs %v, want %v\n%v", what, got, want, r)
	}
}

func mac(s string) net.HardwareAddr { return oftable.MAC(s) }

var testTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
