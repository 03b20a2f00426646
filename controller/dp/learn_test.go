package dp

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/openflow/of13"
	"github.com/voipsdn/voipsdn/openflow/oftable"
)

const hostA = "0e:00:00:00:00:0a"

// connectedTwoVLANs runs a Manager with twoVLANs on a fake clock, with its
// switch connected and the connect's messages taken.
func connectedTwoVLANs(t *testing.T) (*fakeClock, *Manager, *fakeSwitch) {
	t.Helper()
	clock := newFakeClock()
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: clock})
	sw := newFakeSwitch(1)
	m.SwitchConnected(context.Background(), sw)
	sw.takeSent()
	return clock, m, sw
}

func TestLearnAndExpire(t *testing.T) {
	clock, m, sw := connectedTwoVLANs(t)

	pkt := frame(hostA, "ff:ff:ff:ff:ff:ff", 100, 0x0806, arpRequest(hostA, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}))
	m.SwitchPacketIn(sw, packetInOn(1, pkt))
	m.syncDP(t, 1)

	sent := sw.takeSent()
	if len(sent) == 0 {
		t.Fatal("learning sent no flows")
	}
	// Unicast to the host now leaves on port 1, untagged.
	mac, _ := net.ParseMAC(hostA)
	probe := oftable.Packet{InPort: 2, EthSrc: oftable.MAC("0e:00:00:00:00:0b"), EthDst: mac, EthType: 0x0800,
		IPSrc: netip.MustParseAddr("10.0.0.2"), IPDst: netip.MustParseAddr("10.0.0.1"), IPProto: 1, TTL: 64}
	ports := sw.dataPorts(probe)
	if len(ports) != 1 || ports[0] != 1 {
		t.Errorf("unicast to the learned host leaves on %v, want [1]", ports)
	}
	loc, ok := m.LocateMAC(mac)
	if !ok || loc.Port != 1 || loc.VID != 100 || loc.DPID != 1 || loc.DP != "sw1" {
		t.Errorf("LocateMAC = %+v, %v", loc, ok)
	}
	if loc, ok := m.Locate("10.0.0.1"); !ok || loc.Port != 1 {
		t.Errorf("Locate(10.0.0.1) = %+v, %v; want port 1 (learned from ARP)", loc, ok)
	}

	// The host moves to port 2.
	m.SwitchPacketIn(sw, packetInOn(2, frame(hostA, "0e:00:00:00:00:0b", 100, 0x0800, nil)))
	m.syncDP(t, 1)
	probe.InPort = 1
	ports = sw.dataPorts(probe)
	if len(ports) != 1 || ports[0] != 2 {
		t.Errorf("after the move unicast leaves on %v, want [2]", ports)
	}
	if loc, _ := m.LocateMAC(mac); loc.Port != 2 {
		t.Errorf("after the move LocateMAC port = %d, want 2", loc.Port)
	}

	// Past the DP timeout (Faucet default 300 s) the host is forgotten.
	clock.Advance(301 * time.Second)
	m.syncDP(t, 1)
	var dels int
	for _, msg := range sw.takeSent() {
		if fm, ok := msg.(of13.FlowMod); ok && fm.Command == of13.FlowDeleteStrict {
			dels++
		}
	}
	if dels == 0 {
		t.Error("expiry deleted no flows")
	}
	if _, ok := m.LocateMAC(mac); ok {
		t.Error("host still located after expiry")
	}
	prog := compiled(t, m, 1)
	sameFlows(t, sw.flows(), prog.AllFlows())
}

// A learning storm must not starve control-plane packets: they have their
// own rate limit and queue, and the DP serves their queue first.
func TestLearningStormDoesNotStarveControl(t *testing.T) {
	clock := newFakeClock()
	m := startManager(t, mustConfig(t, twoVLANs), Options{
		Clock: clock, LearnPPS: 100, LearnBurst: 50, ControlPPS: 100, ControlBurst: 50, QueueLen: 20,
	})
	sw := newFakeSwitch(1)
	ctx := context.Background()
	m.SwitchConnected(ctx, sw)
	r := m.runner(1)

	// Hold the DP's goroutine so the queues fill.
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = r.do(ctx, func(context.Context) error { close(held); <-release; return nil })
	}()
	<-held
	for i := range 1000 {
		src := fmt.Sprintf("0e:00:00:10:%02x:%02x", i>>8, i&0xff)
		m.SwitchPacketIn(sw, packetInOn(1, frame(src, "0e:00:00:00:99:99", 100, 0x0800, nil)))
	}
	for i := range 10 {
		src := fmt.Sprintf("0e:00:00:01:00:%02x", i)
		arp := arpRequest(src, [4]byte{10, 0, 1, byte(i)}, [4]byte{10, 0, 0, 254})
		m.SwitchPacketIn(sw, packetInOn(2, frame(src, "ff:ff:ff:ff:ff:ff", 100, 0x0806, arp)))
	}
	close(release)
	m.syncDP(t, 1)

	st := r.status()
	learn, ctrl := st.PacketIns[ClassLearn], st.PacketIns[ClassControl]
	if learn.Received != 1000 || learn.RateLimited != 950 || learn.QueueFull != 30 || learn.Handled != 20 {
		t.Errorf("learn counters = %+v; want 1000 received, 950 rate-limited, 30 queue-full, 20 handled", learn)
	}
	if ctrl.Received != 10 || ctrl.Handled != 10 || ctrl.RateLimited != 0 || ctrl.QueueFull != 0 {
		t.Errorf("control counters = %+v; want all 10 handled", ctrl)
	}
	for i := range 10 {
		ip := netip.AddrFrom4([4]byte{10, 0, 1, byte(i)})
		if _, ok := m.LocateIP(ip); !ok {
			t.Errorf("ARP sender %s not located", ip)
		}
	}
	// Tokens come back with time.
	clock.Advance(time.Second)
	m.SwitchPacketIn(sw, packetInOn(1, frame("0e:00:00:02:00:01", "0e:00:00:00:99:99", 100, 0x0800, nil)))
	m.syncDP(t, 1)
	if got := r.status().PacketIns[ClassLearn].Handled; got != 21 {
		t.Errorf("after a second, learn handled = %d, want 21", got)
	}
}

func TestClassify(t *testing.T) {
	cfg := mustConfig(t, twoVLANs)
	d := cfg.DPs[0]
	for _, tc := range []struct {
		name string
		port uint32
		data []byte
		want Class
	}{
		{"ipv4", 1, frame(hostA, "0e:00:00:00:00:0b", 100, 0x0800, nil), ClassLearn},
		{"arp for a host", 1, frame(hostA, "ff:ff:ff:ff:ff:ff", 100, 0x0806, arpRequest(hostA, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 5})), ClassLearn},
		{"arp for the vip", 1, frame(hostA, "ff:ff:ff:ff:ff:ff", 100, 0x0806, arpRequest(hostA, [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 254})), ClassControl},
		{"lldp", 1, frame(hostA, "01:80:c2:00:00:0e", 0, 0x88cc, nil), ClassControl},
		{"untagged uses native vlan", 3, frame(hostA, "0e:00:00:00:00:0b", 0, 0x0800, nil), ClassLearn},
		{"vlan not on port", 3, frame(hostA, "0e:00:00:00:00:0b", 100, 0x0800, nil), ClassIgnore},
		{"multicast source", 1, frame("01:00:5e:00:00:01", "0e:00:00:00:00:0b", 100, 0x0800, nil), ClassIgnore},
		{"unknown port", 9, frame(hostA, "0e:00:00:00:00:0b", 100, 0x0800, nil), ClassIgnore},
	} {
		p, err := classify(d, packetInOn(tc.port, tc.data))
		if err != nil || p.class != tc.want {
			t.Errorf("%s: class %v, err %v; want %v", tc.name, p.class, err, tc.want)
		}
	}
	if _, err := classify(d, packetInOn(1, []byte{1, 2, 3})); err == nil {
		t.Error("short packet classified without error")
	}
	if !strings.Contains(ClassControl.String(), "control") {
		t.Error(ClassControl.String())
	}
}

// A port that goes down loses its hosts: their flows go and Locate forgets
// them.
func TestPortDownForgetsHosts(t *testing.T) {
	m := startManager(t, mustConfig(t, twoVLANs), Options{Clock: newFakeClock()})
	sw := newFakeSwitch(1)
	ctx := context.Background()
	m.SwitchConnected(ctx, sw)
	m.SwitchPacketIn(sw, packetInOn(1, frame(hostA, "0e:00:00:00:00:0b", 100, 0x0800, nil)))
	m.syncDP(t, 1)
	if _, ok := m.Locate(hostA); !ok {
		t.Fatal("host not learned")
	}
	m.SwitchPortStatus(ctx, sw, of13.PortStatus{Reason: of13.PortModified,
		Port: of13.Port{No: 1, State: of13.PortStateLinkDown}})
	if _, ok := m.Locate(hostA); ok {
		t.Error("host on a downed port still located")
	}
	sameFlows(t, sw.flows(), compiled(t, m, 1).AllFlows())
	for _, f := range sw.flows() {
		if src, ok := f.Match.Get(of13.FieldEthSrc); ok && !src.Masked && net.HardwareAddr(src.Bytes()).String() == hostA {
			t.Errorf("flow of the forgotten host left: %s", f.String())
		}
	}
}

// Learning does not wait for the switch's barrier, so a switch that
// refuses learned flows is found out afterwards: the DP reconciles it on a
// later tick, and the host's flows arrive once the switch takes them.
func TestRefusedLearningIsRepaired(t *testing.T) {
	clock, m, sw := connectedTwoVLANs(t)

	sw.mu.Lock()
	sw.refuse = true
	sw.mu.Unlock()
	m.SwitchPacketIn(sw, packetInOn(1, frame(hostA, "0e:00:00:00:00:0b", 100, 0x0800, nil)))
	m.syncDP(t, 1)
	r := m.runner(1)
	deadline := time.Now().Add(5 * time.Second)
	for !r.asyncFailed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the refusal was not noticed")
		}
		time.Sleep(time.Millisecond)
	}
	mac, _ := net.ParseMAC(hostA)
	probe := oftable.Packet{InPort: 2, EthSrc: oftable.MAC("0e:00:00:00:00:0b"), EthDst: mac, EthType: 0x0800,
		IPSrc: netip.MustParseAddr("10.0.0.2"), IPDst: netip.MustParseAddr("10.0.0.1"), IPProto: 1, TTL: 64}
	if ports := sw.dataPorts(probe); len(ports) == 1 && ports[0] == 1 {
		t.Fatal("the refused flows are in the switch")
	}

	sw.mu.Lock()
	sw.refuse = false
	sw.mu.Unlock()
	clock.Advance(repairInterval)
	m.syncDP(t, 1)
	if ports := sw.dataPorts(probe); len(ports) != 1 || ports[0] != 1 {
		t.Errorf("after the repair unicast to the host leaves on %v, want [1]", ports)
	}
	sameFlows(t, sw.flows(), compiled(t, m, 1).AllFlows())

	// A repaired switch is not read again at every tick.
	sw.takeSent()
	clock.Advance(repairInterval)
	m.syncDP(t, 1)
	if sent := sw.takeSent(); len(sent) != 0 {
		t.Errorf("a clean switch got %d messages on a tick", len(sent))
	}
}
