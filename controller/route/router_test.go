package route

import (
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

const routerConfig = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.1.254/24", "fc00:1::fe/64"]
    routes:
      - route: {ip_dst: "172.16.0.0/12", ip_gw: "10.0.1.99"}
  guest: {vid: 200, faucet_vips: ["10.0.2.254/24", "fc00:2::fe/64"]}
routers:
  r1: {vlans: [office, guest]}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
      3: {tagged_vlans: [office, guest]}
`

var (
	faucetMAC = net.HardwareAddr{0x0e, 0, 0, 0, 0, 1}
	h1MAC     = net.HardwareAddr{0, 0, 0, 0, 1, 1}
	h2MAC     = net.HardwareAddr{0, 0, 0, 0, 2, 2}
)

// lab is a DP's program on the in-memory switch driven by a Router the
// way controller/dp drives it: packet-ins go to HandlePacket, FIB changes
// become route owners, and the switch is reloaded.
type lab struct {
	t       *testing.T
	dp      *config.DP
	learned *pipeline.Learned
	tbl     *oftable.Table
	r       *Router
	now     time.Time
	sent    []Packet
}

func newLab(t *testing.T, yaml string) *lab {
	cfg, err := config.LoadFileBytes("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, dp: cfg.DPs[0], learned: pipeline.NewLearned(), now: t0}
	l.r = NewRouter(l.dp, RouterConfig{}, l.now)
	l.reload()
	return l
}

func (l *lab) reload() {
	l.t.Helper()
	p, err := pipeline.Compile(l.dp, l.learned)
	if err != nil {
		l.t.Fatal(err)
	}
	l.tbl = oftable.New(oftable.Config{NumTables: p.Tables.Len(), Ports: []uint32{1, 2, 3}})
	if err := l.tbl.AddFlows(p.AllFlows()...); err != nil {
		l.t.Fatal(err)
	}
}

// apply carries out a Router output: FIB changes to the switch, packets
// recorded.
func (l *lab) apply(out Output) {
	l.t.Helper()
	for _, c := range out.FIB {
		if c.Delete {
			l.learned.DeleteRoute(c.Prefix)
			continue
		}
		if _, err := l.learned.SetRoute(l.dp, pipeline.FIBEntry{Prefix: c.Prefix, VID: c.Entry.Neighbor.VID, MAC: c.Entry.Neighbor.MAC}); err != nil {
			l.t.Fatal(err)
		}
	}
	l.sent = append(l.sent, out.Packets...)
	l.reload()
}

// host sends a frame into the switch on port; a copy punted to the
// controller goes through the Router. It returns the switch's outputs.
func (l *lab) host(port uint32, frame []byte) oftable.Result {
	l.t.Helper()
	pkt := tablePacket(l.t, port, frame)
	r := l.tbl.Trace(pkt)
	for _, o := range r.Outputs {
		if o.Port == of13.PortController {
			vid := o.Packet.VLANs[0].VID
			l.apply(l.r.HandlePacket(l.now, port, vid, retag(frame, vid)))
		}
	}
	return r
}

// learnL2 learns a host's MAC the way the runtime's learning does.
func (l *lab) learnL2(port uint32, vid uint16, m net.HardwareAddr) {
	l.learned.Learn(l.now, l.dp, port, vid, m)
	l.reload()
}

func (l *lab) takeSent() []Packet {
	s := l.sent
	l.sent = nil
	return s
}

// tablePacket turns a frame into the switch model's packet.
func tablePacket(t *testing.T, port uint32, frame []byte) oftable.Packet {
	t.Helper()
	p, err := pipeline.ParsePacket(frame)
	if err != nil {
		t.Fatal(err)
	}
	tp := oftable.Packet{InPort: port, EthSrc: p.EthSrc, EthDst: p.EthDst, EthType: p.EthType,
		ARPOp: p.ARPOp, ARPSPA: p.ARPSPA, ARPTPA: p.ARPTPA, ARPSHA: p.ARPSHA, ARPTHA: p.ARPTHA,
		IPSrc: p.IPSrc, IPDst: p.IPDst, IPProto: p.IPProto, ICMPType: p.ICMPType, NDTarget: p.NDTarget, TTL: 64}
	if p.Tagged {
		tp.VLANs = []oftable.VLAN{{VID: p.VLAN}}
	}
	if p.IPProto == 58 && p.ICMPType >= 133 {
		tp.TTL = 255
	}
	return tp
}

// echoRequest builds an ICMP or ICMPv6 echo request frame.
func echoRequest(src, dst net.HardwareAddr, from, to netip.Addr) []byte {
	payload := []byte("voipsdn-ping-payload")
	if from.Is4() {
		icmp := append([]byte{8, 0, 0, 0, 0, 1, 0, 1}, payload...)
		binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 1
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(icmp)))
		f4, t4 := from.As4(), to.As4()
		copy(ip[12:], f4[:])
		copy(ip[16:], t4[:])
		binary.BigEndian.PutUint16(ip[10:], checksum(ip))
		return ethernet(dst, src, 0, ethIPv4, append(ip, icmp...))
	}
	msg := append([]byte{128, 0, 0, 0, 0, 1, 0, 1}, payload...)
	return ethernet(dst, src, 0, ethIPv6, ipv6(from, to, 58, 64, icmpv6(from, to, msg)))
}

// resolveHost has a host announce itself the way a real one does before
// using its gateway: an ARP request / neighbour solicitation for the VIP.
// It checks the answer and that the host route appears.
func (l *lab) resolveHost(port uint32, vid uint16, m net.HardwareAddr, hostIP, vip netip.Addr) {
	l.t.Helper()
	var frame []byte
	if hostIP.Is4() {
		frame = ARPRequest(m, hostIP, vip, 0)
	} else {
		frame = NeighborSolicitation(m, hostIP, vip, 0)
	}
	l.host(port, frame)
	sent := l.takeSent()
	if len(sent) != 1 || !slices.Equal(sent[0].Ports, []uint32{port}) {
		l.t.Fatalf("answer to %v: %+v", hostIP, sent)
	}
	ans, err := pipeline.ParsePacket(sent[0].Data)
	if err != nil || ans.Tagged || ans.EthSrc.String() != faucetMAC.String() || ans.EthDst.String() != m.String() {
		l.t.Fatalf("bad answer %+v (%v)", ans, err)
	}
	if hostIP.Is4() && (ans.ARPOp != 2 || ans.ARPSPA != vip || ans.ARPTPA != hostIP) {
		l.t.Fatalf("bad ARP reply %+v", ans)
	}
	if hostIP.Is6() && (ans.ICMPType != 136 || ans.NDTarget != vip || ans.IPDst != hostIP) {
		l.t.Fatalf("bad NA %+v", ans)
	}
	if !slices.ContainsFunc(l.learned.Routes(), func(e pipeline.FIBEntry) bool { return e.Prefix.Addr() == hostIP }) {
		l.t.Fatalf("no host route for %v: %v", hostIP, l.learned.Routes())
	}
	l.learnL2(port, vid, m)
}

func TestRouterInterVLAN(t *testing.T) {
	for _, c := range []struct {
		name           string
		h1, h2, v1, v2 netip.Addr
	}{
		{"ipv4", ip("10.0.1.1"), ip("10.0.2.2"), ip("10.0.1.254"), ip("10.0.2.254")},
		{"ipv6", ip("fc00:1::1"), ip("fc00:2::2"), ip("fc00:1::fe"), ip("fc00:2::fe")},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLab(t, routerConfig)
			l.resolveHost(1, 100, h1MAC, c.h1, c.v1)

			// Ping the VIP: the controller answers, untagged, out of port 1.
			l.host(1, echoRequest(h1MAC, faucetMAC, c.h1, c.v1))
			sent := l.takeSent()
			if len(sent) != 1 {
				t.Fatalf("echo reply: %+v", sent)
			}
			rep, _ := pipeline.ParsePacket(sent[0].Data)
			if rep.Tagged || rep.IPSrc != c.v1 || rep.IPDst != c.h1 || (rep.ICMPType != 0 && rep.ICMPType != 129) {
				t.Fatalf("bad echo reply %+v", rep)
			}

			// h1 -> h2 before h2 is known: punted, and h2 is probed on
			// VLAN 200 (untagged on 2, tagged on the trunk 3).
			ping := echoRequest(h1MAC, faucetMAC, c.h1, c.h2)
			if r := l.host(1, ping); len(r.Outputs) != 1 || r.Outputs[0].Port != of13.PortController {
				t.Fatalf("unresolved destination: %v", r)
			}
			var probes []Packet
			for _, p := range l.takeSent() {
				pp, _ := pipeline.ParsePacket(p.Data)
				if pp.ARPTPA == c.h2 || pp.NDTarget == c.h2 {
					probes = append(probes, p)
				}
			}
			if len(probes) != 2 {
				t.Fatalf("probes %+v", probes)
			}
			for _, p := range probes {
				pp, _ := pipeline.ParsePacket(p.Data)
				tagged := slices.Equal(p.Ports, []uint32{3})
				if tagged != (pp.Tagged && pp.VLAN == 200) || (!tagged && !slices.Equal(p.Ports, []uint32{2})) {
					t.Fatalf("probe %+v: %+v", p.Ports, pp)
				}
			}
			// Meanwhile further packets for h2 are dropped by the switch
			// rather than each sent to the controller.
			if r := l.tbl.Trace(tablePacket(t, 1, ping)); len(r.Outputs) != 0 {
				t.Fatalf("packet for a host being resolved: %v", r)
			}
			// h2 resolves (its own request for its VIP also answers the probe).
			l.resolveHost(2, 200, h2MAC, c.h2, c.v2)

			r := l.tbl.Trace(tablePacket(t, 1, ping))
			if len(r.Outputs) != 1 || r.Outputs[0].Port != 2 || r.Outputs[0].VID() != 0 {
				t.Fatalf("routed h1->h2: %v", r)
			}
			out := r.Outputs[0].Packet
			if out.EthSrc.String() != faucetMAC.String() || out.EthDst.String() != h2MAC.String() || out.TTL != 63 {
				t.Fatalf("routed packet %s -> %s ttl %d", out.EthSrc, out.EthDst, out.TTL)
			}
			back := echoRequest(h2MAC, faucetMAC, c.h2, c.h1)
			r = l.tbl.Trace(tablePacket(t, 2, back))
			if len(r.Outputs) != 1 || r.Outputs[0].Port != 1 || r.Outputs[0].Packet.EthDst.String() != h1MAC.String() || r.Outputs[0].Packet.TTL != 63 {
				t.Fatalf("routed h2->h1: %v", r)
			}
		})
	}
}

func TestRouterStaticRouteAndBGP(t *testing.T) {
	l := newLab(t, routerConfig)
	gw, gwMAC := ip("10.0.1.99"), net.HardwareAddr{0, 0, 0, 0, 0x99, 0x99}
	// The static route's next hop is probed at once, with backoff after.
	var at []time.Duration
	for s := 0; s <= 8; s++ {
		l.now = t0.Add(time.Duration(s) * time.Second)
		out := l.r.Tick(l.now)
		if len(out.Packets) > 0 {
			at = append(at, l.now.Sub(t0))
		}
	}
	if !slices.Equal(at, []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second}) {
		t.Fatalf("gateway probes at %v", at)
	}
	if len(l.learned.Routes()) != 0 {
		t.Fatal("route programmed before its next hop resolved")
	}
	// The gateway answers: the /12 appears, through it.
	l.host(1, ethernet(faucetMAC, gwMAC, 0, ethARP, arp(2, gwMAC, gw, faucetMAC, ip("10.0.1.254"))))
	l.learnL2(1, 100, gwMAC)
	dst := echoRequest(h2MAC, faucetMAC, ip("10.0.2.2"), ip("172.20.1.1"))
	r := l.tbl.Trace(tablePacket(t, 2, dst))
	if len(r.Outputs) != 1 || r.Outputs[0].Port != 1 || r.Outputs[0].Packet.EthDst.String() != gwMAC.String() {
		t.Fatalf("static route: %v", r)
	}

	// A BGP route for a more specific prefix through the same gateway,
	// then its withdrawal: only that prefix's FIB entry changes.
	p := netip.MustParsePrefix("172.20.0.0/16")
	out := l.r.SetRoute(l.now, Route{Prefix: p, NextHop: gw, Source: SourceBGP})
	if len(out.FIB) != 1 || out.FIB[0].Prefix != p {
		t.Fatalf("BGP route changes %+v", out.FIB)
	}
	l.apply(out)
	// BGP does not override static for the same prefix.
	if out := l.r.SetRoute(l.now, Route{Prefix: netip.MustParsePrefix("172.16.0.0/12"), NextHop: ip("10.0.1.98"), Source: SourceBGP}); len(out.FIB) != 0 {
		t.Fatalf("BGP overrode a static route: %+v", out.FIB)
	}
	out = l.r.DeleteRoute(l.now, p, SourceBGP)
	if len(out.FIB) != 1 || !out.FIB[0].Delete {
		t.Fatalf("withdrawal changes %+v", out.FIB)
	}
	l.apply(out)
	// A BGP next hop outside every connected subnet is never programmed.
	if out := l.r.SetRoute(l.now, Route{Prefix: netip.MustParsePrefix("198.51.100.0/24"), NextHop: ip("203.0.113.1"), Source: SourceBGP}); len(out.FIB)+len(out.Packets) != 0 {
		t.Fatalf("unreachable next hop: %+v", out)
	}
}

// An unresolvable gateway and a scan of a connected subnet cost bounded
// probes per tick and never hold up resolving a real host.
func TestRouterUnresolvableIsBounded(t *testing.T) {
	l := newLab(t, routerConfig)
	l.resolveHost(1, 100, h1MAC, ip("10.0.1.1"), ip("10.0.1.254"))
	budget := l.r.cfg.Backoff.Budget
	for i := 1; i < 250; i++ {
		dst := netip.AddrFrom4([4]byte{10, 0, 2, byte(i)})
		out := l.r.HandlePacket(l.now, 1, 100, retag(echoRequest(h1MAC, faucetMAC, ip("10.0.1.1"), dst), 100))
		if len(out.Packets) > 2*budget {
			t.Fatalf("packet %d caused %d probes", i, len(out.Packets))
		}
	}
	total := 0
	var gwProbes []time.Duration
	for s := 1; s < 3000; s++ {
		l.now = t0.Add(time.Duration(s) * time.Second)
		out := l.r.Tick(l.now)
		if len(out.Packets) > 4*budget {
			t.Fatalf("tick %d: %d probes over budget", s, len(out.Packets))
		}
		total += len(out.Packets)
		for _, p := range out.Packets {
			at := time.Duration(s) * time.Second
			if pp, _ := pipeline.ParsePacket(p.Data); pp.ARPTPA == ip("10.0.1.99") && s < 20 && !slices.Contains(gwProbes, at) {
				gwProbes = append(gwProbes, at)
			}
		}
	}
	// The static route's gateway kept its own schedule through the sweep
	// (first probe at t0, then 1, 3, 7, 15 s later).
	if !slices.Equal(gwProbes, []time.Duration{time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second}) {
		t.Fatalf("gateway probes during the sweep at %v", gwProbes)
	}
	if len(l.r.hosts) != 0 || len(l.r.hostRes.Pending()) != 0 {
		t.Fatalf("%d hosts still pending after retries", len(l.r.hosts))
	}
	if total == 0 {
		t.Fatal("no probes sent")
	}
	if p := l.r.Resolver().Pending(); len(p) > 1 { // only the static gateway stays wanted
		t.Fatalf("%d hosts still pending after retries", len(p))
	}
	// Given up hosts leave no drop entries behind.
	for _, e := range l.r.FIB() {
		if e.Neighbor.MAC == nil {
			t.Fatalf("pending entry %v left after giving up", e.Prefix)
		}
	}
	// Meanwhile a host still resolves at once.
	l.resolveHost(2, 200, h2MAC, ip("10.0.2.2"), ip("10.0.2.254"))
}

// FuzzRouterHandlePacket feeds arbitrary frames to a router: it must never
// panic, and whatever it sends is a well-formed Ethernet frame for a port
// of the VLAN.
func FuzzRouterHandlePacket(f *testing.F) {
	f.Add(uint16(100), retag(ARPRequest(h1MAC, ip("10.0.1.1"), ip("10.0.1.254"), 0), 100))
	f.Add(uint16(100), retag(NeighborSolicitation(h1MAC, ip("fc00:1::1"), ip("fc00:1::fe"), 0), 100))
	f.Add(uint16(200), retag(echoRequest(h2MAC, faucetMAC, ip("10.0.2.2"), ip("10.0.2.254")), 200))
	f.Add(uint16(100), retag(echoRequest(h1MAC, faucetMAC, ip("fc00:1::1"), ip("fc00:2::9")), 100))
	f.Add(uint16(100), []byte{0xff})
	cfg, err := config.LoadFileBytes("test.yaml", []byte(routerConfig))
	if err != nil {
		f.Fatal(err)
	}
	dp := cfg.DPs[0]
	f.Fuzz(func(t *testing.T, vid uint16, frame []byte) {
		r := NewRouter(dp, RouterConfig{}, t0)
		for _, port := range []uint32{1, 2, 3} {
			out := r.HandlePacket(t0, port, vid, frame)
			for _, p := range out.Packets {
				if len(p.Data) < 14 || len(p.Ports) == 0 {
					t.Fatalf("bad packet-out %+v", p)
				}
			}
			r.Tick(t0.Add(time.Second))
		}
	})
}
