package dp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/controller/bgp"
	"github.com/voipsdn/voipsdn/faucet/pipeline"
	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

const routedDP = `
vlans:
  office:
    vid: 100
    faucet_vips: ["10.0.1.254/24"]
    routes:
      - route: {ip_dst: "172.16.0.0/12", ip_gw: "10.0.1.99"}
  guest: {vid: 200, faucet_vips: ["10.0.2.254/24"]}
routers:
  r1: {vlans: [office, guest]}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
`

// l3Switch is the fake switch with packet-outs recorded apart (the table
// model takes only flow, meter and group mods).
type l3Switch struct {
	*fakeSwitch
	mu   sync.Mutex
	outs []of13.PacketOut
}

func (s *l3Switch) Send(ctx context.Context, msgs []of13.Message) error {
	var rest []of13.Message
	s.mu.Lock()
	for _, m := range msgs {
		if po, ok := m.(of13.PacketOut); ok {
			s.outs = append(s.outs, po)
			continue
		}
		rest = append(rest, m)
	}
	s.mu.Unlock()
	return s.fakeSwitch.Send(ctx, rest)
}

func (s *l3Switch) takeOuts() []of13.PacketOut {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.outs
	s.outs = nil
	return o
}

func TestL3RoutesThroughTheRuntime(t *testing.T) {
	clock := newFakeClock()
	m := startManager(t, mustConfig(t, routedDP), Options{Clock: clock})
	sw := &l3Switch{fakeSwitch: newFakeSwitch(1)}
	m.SwitchConnected(context.Background(), sw)

	// The static route's gateway is probed from the DP timer, on VLAN 100.
	clock.Advance(time.Second)
	m.syncDP(t, 1)
	outs := sw.takeOuts()
	if len(outs) != 1 || !slices.Equal(outs[0].Actions, []of13.Action{of13.Output(1)}) {
		t.Fatalf("gateway probe: %+v", outs)
	}
	if p, _ := pipeline.ParsePacket(outs[0].Data); p.ARPTPA != netip.MustParseAddr("10.0.1.99") {
		t.Fatalf("probe %+v", p)
	}

	// h1 and h2 ARP for their VIPs (the vlan table tagged the frames).
	for _, h := range []struct {
		port     uint32
		vid      uint16
		mac      string
		ip, vip  [4]byte
		wantPort uint32
	}{
		{1, 100, "0e:00:00:00:01:01", [4]byte{10, 0, 1, 1}, [4]byte{10, 0, 1, 254}, 1},
		{2, 200, "0e:00:00:00:02:02", [4]byte{10, 0, 2, 2}, [4]byte{10, 0, 2, 254}, 2},
	} {
		m.SwitchPacketIn(sw, packetInOn(h.port, frame(h.mac, "ff:ff:ff:ff:ff:ff", h.vid, 0x0806, arpRequest(h.mac, h.ip, h.vip))))
		m.syncDP(t, 1)
		outs := sw.takeOuts()
		if len(outs) != 1 || !slices.Equal(outs[0].Actions, []of13.Action{of13.Output(h.wantPort)}) {
			t.Fatalf("ARP reply: %+v", outs)
		}
		rep, _ := pipeline.ParsePacket(outs[0].Data)
		if rep.ARPOp != 2 || rep.Tagged || rep.ARPSPA != netip.AddrFrom4(h.vip) {
			t.Fatalf("ARP reply %+v", rep)
		}
	}
	// h1 -> h2 is routed: MACs rewritten, TTL decremented, out of port 2.
	pkt := oftable.Packet{InPort: 1, EthSrc: oftable.MAC("0e:00:00:00:01:01"), EthDst: oftable.MAC("0e:00:00:00:00:01"),
		EthType: 0x0800, IPSrc: netip.MustParseAddr("10.0.1.1"), IPDst: netip.MustParseAddr("10.0.2.2"), IPProto: 17, TTL: 64}
	sw.fakeSwitch.mu.Lock()
	r := sw.t.Trace(pkt)
	sw.fakeSwitch.mu.Unlock()
	var got []oftable.Out
	for _, o := range r.Outputs {
		if o.Port != of13.PortController {
			got = append(got, o)
		}
	}
	if len(got) != 1 || got[0].Port != 2 || got[0].Packet.TTL != 63 || got[0].Packet.EthDst.String() != "0e:00:00:00:02:02" {
		t.Fatalf("routed packet:\n%v", r)
	}
	// Withdrawing nothing else: a BGP route through h2 arrives and goes.
	r1 := m.runner(1)
	bgpRoute := func(withdrawn bool) {
		_ = r1.do(context.Background(), func(ctx context.Context) error {
			r1.l3BGP(ctx, []bgp.Route{{Prefix: netip.MustParsePrefix("192.168.0.0/16"), NextHop: netip.MustParseAddr("10.0.2.2"), Withdrawn: withdrawn}})
			return nil
		})
	}
	pkt.IPDst = netip.MustParseAddr("192.168.3.3")
	bgpRoute(false)
	if ports := sw.dataPorts(pkt); !slices.Equal(ports, []uint32{2}) {
		t.Fatalf("BGP route: packet leaves on %v", ports)
	}
	bgpRoute(true)
	if ports := sw.dataPorts(pkt); len(ports) != 0 {
		t.Fatalf("withdrawn BGP route: packet leaves on %v", ports)
	}
}

// A reload keeps resolved neighbours and applies new static routes at once.
func TestL3ReloadKeepsNeighbours(t *testing.T) {
	clock := newFakeClock()
	m := startManager(t, mustConfig(t, routedDP), Options{Clock: clock})
	sw := &l3Switch{fakeSwitch: newFakeSwitch(1)}
	m.SwitchConnected(context.Background(), sw)
	m.SwitchPacketIn(sw, packetInOn(2, frame("0e:00:00:00:02:02", "ff:ff:ff:ff:ff:ff", 200, 0x0806,
		arpRequest("0e:00:00:00:02:02", [4]byte{10, 0, 2, 2}, [4]byte{10, 0, 2, 254}))))
	m.syncDP(t, 1)
	pkt := oftable.Packet{InPort: 1, EthSrc: oftable.MAC("0e:00:00:00:01:01"), EthDst: oftable.MAC("0e:00:00:00:00:01"),
		EthType: 0x0800, IPSrc: netip.MustParseAddr("10.0.1.1"), IPDst: netip.MustParseAddr("192.168.3.3"), IPProto: 17, TTL: 64}
	if ports := sw.dataPorts(pkt); len(ports) != 0 {
		t.Fatalf("routed before the route exists: %v", ports)
	}
	cfg := mustConfig(t, `
vlans:
  office: {vid: 100, faucet_vips: ["10.0.1.254/24"]}
  guest:
    vid: 200
    faucet_vips: ["10.0.2.254/24"]
    routes:
      - route: {ip_dst: "192.168.0.0/16", ip_gw: "10.0.2.2"}
routers:
  r1: {vlans: [office, guest]}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: guest}
`)
	if err := m.SetConfig(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	m.syncDP(t, 1)
	if ports := sw.dataPorts(pkt); !slices.Equal(ports, []uint32{2}) {
		t.Fatalf("new static route through a known neighbour: packet leaves on %v", ports)
	}
	if err := m.SetConfig(context.Background(), mustConfig(t, routedDP)); err != nil {
		t.Fatal(err)
	}
	m.syncDP(t, 1)
	if ports := sw.dataPorts(pkt); len(ports) != 0 {
		t.Fatalf("removed static route still routes to %v", ports)
	}
}

// A reload starts, keeps and stops BGP speakers as their configuration
// comes, stays and goes.
func TestL3ReloadBGPSpeakers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	withBGP := fmt.Sprintf(`
vlans:
  office: {vid: 100, faucet_vips: ["10.0.1.254/24"]}
routers:
  r1:
    vlans: [office]
    bgp: {as: 65000, neighbor_as: 65001, neighbor_addresses: ["127.0.0.2"], server_addresses: ["127.0.0.1"],
          port: %d, routerid: "10.0.1.254", vlan: office}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
`, port)
	speakers := func(m *Manager) (n int, stop bool) {
		r := m.runner(1)
		_ = r.do(context.Background(), func(context.Context) error {
			n, stop = len(r.st.l3.speakers), r.st.l3.stop != nil
			return nil
		})
		return n, stop
	}
	m := startManager(t, mustConfig(t, routedDP), Options{Clock: newFakeClock()})
	if n, _ := speakers(m); n != 0 {
		t.Fatalf("%d speakers without bgp", n)
	}
	for i, c := range []struct {
		cfg  string
		want int
	}{{withBGP, 1}, {withBGP, 1}, {routedDP, 0}} {
		if err := m.SetConfig(context.Background(), mustConfig(t, c.cfg)); err != nil {
			t.Fatal(err)
		}
		if n, stop := speakers(m); n != c.want || stop != (c.want > 0) {
			t.Fatalf("step %d: %d speakers (stop func %v), want %d", i, n, stop, c.want)
		}
		if c.want > 0 {
			// The speaker listens on the configured port.
			deadline := time.Now().Add(5 * time.Second)
			for {
				conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err == nil {
					conn.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("step %d: speaker not listening: %v", i, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
}
