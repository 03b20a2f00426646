package lldp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"net"
	"testing"
	"time"

	"github.com/voipsdn/voipsdn/faucet/lldp"
	"github.com/voipsdn/voipsdn/internal/e2e/e2etest"
	"github.com/voipsdn/voipsdn/internal/ovslab"
)

// h1 has a Faucet beacon; h2's port carries the voice VLAN natively, h3's
// tagged (h3 itself stays on office, untagged): both get the voice policy
// without any lldp_beacon of their own; h4 gets nothing.
const config = `
vlans:
  office: {vid: 100}
  voice: {vid: 200}
dps:
  sw1:
    dp_id: 1
    hardware: Open vSwitch
    lldp_beacon: {send_interval: 1, max_per_interval: 5, system_name: closet-1}
    interfaces:
      1: {native_vlan: office, description: "desk 1", receive_lldp: true, lldp_beacon: {enable: true, org_tlvs: [{oui: 0x123456, subtype: 9, info: "cafe"}]}}
      2: {native_vlan: voice, description: "phone 2"}
      3: {native_vlan: office, tagged_vlans: [voice]}
      4: {native_vlan: office}
voip:
  lldp_med:
    voice: {priority: 5}
`

func newLab(t *testing.T) *ovslab.Lab {
	t.Helper()
	ovslab.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l, err := ovslab.Start(ctx, ovslab.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Logf("ovslab: close: %v", err)
		}
	})
	return l
}

// lldpFrames returns the LLDP frames a capture holds, decoded.
func lldpFrames(t *testing.T, pkts []ovslab.Packet) []*lldp.Frame {
	var out []*lldp.Frame
	for _, p := range pkts {
		if f, err := lldp.Parse(p.Data); err == nil && len(p.VLANs) == 0 && bytes.Equal(p.DstMAC, lldp.NearestBridge) {
			out = append(out, f)
		}
	}
	return out
}

func policy(t *testing.T, f *lldp.Frame) (lldp.NetworkPolicy, bool) {
	t.Helper()
	for _, o := range f.Orgs(lldp.OUITIA) {
		if o.Subtype == lldp.MEDNetworkPolicy {
			np, err := lldp.ParseNetworkPolicy(o.Info)
			if err != nil {
				t.Fatal(err)
			}
			return np, true
		}
	}
	return lldp.NetworkPolicy{}, false
}

func TestLLDPBeaconsAndVoicePolicy(t *testing.T) {
	lab := newLab(t)
	ctl := e2etest.Start(t, config)
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(ctl.Target())))
	var hosts []*ovslab.Host
	for i, n := range []string{"h1", "h2", "h3", "h4"} {
		hosts = append(hosts, e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: n, Bridge: "s1", OFPort: i + 1})))
	}
	ctx := e2etest.Context(t, 90*time.Second)
	var caps []*ovslab.Capture
	for _, h := range hosts {
		caps = append(caps, e2etest.Must[*ovslab.Capture](t)(h.Capture(ctx, "", "ether proto 0x88cc")))
	}
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, err := caps[i].Wait(ctx, func(p []ovslab.Packet) bool { return len(lldpFrames(t, p)) >= 2 })
		if err != nil {
			t.Fatalf("%s: no LLDP: %v", hosts[i].Name, err)
		}
	}
	time.Sleep(1500 * time.Millisecond) // h4 would have had a round by now
	mac, _ := net.ParseMAC("0e:00:00:00:00:01")
	for i, h := range hosts {
		pkts, err := caps[i].Stop()
		if err != nil {
			t.Fatal(err)
		}
		frames := lldpFrames(t, pkts)
		if i == 3 {
			if len(frames) != 0 {
				t.Errorf("h4 (no beacon, no voice VLAN) got %d LLDP frames", len(frames))
			}
			continue
		}
		if len(frames) == 0 {
			t.Fatalf("%s: no LLDP frames", h.Name)
		}
		f := frames[0]
		if st, id := f.ChassisID(); st != lldp.ChassisMAC || !bytes.Equal(id, mac) {
			t.Errorf("%s: chassis %d %s", h.Name, st, net.HardwareAddr(id))
		}
		if st, id := f.PortID(); st != lldp.PortIfaceName || string(id) != string(rune('1'+i)) {
			t.Errorf("%s: port ID %d %q", h.Name, st, id)
		}
		if f.TTL() != 3 || string(f.First(lldp.TypeSystemName)) != "closet-1" {
			t.Errorf("%s: TTL %d system name %q", h.Name, f.TTL(), f.First(lldp.TypeSystemName))
		}
		np, hasMED := policy(t, f)
		switch h.Name {
		case "h1":
			if d := string(f.First(lldp.TypePortDescr)); d != "desk 1" {
				t.Errorf("h1: port description %q", d)
			}
			org := f.Orgs(0x123456)
			dpid := f.Orgs(0x0e0000)
			if len(org) != 1 || org[0].Subtype != 9 || !bytes.Equal(org[0].Info, []byte{0xca, 0xfe}) ||
				len(dpid) != 1 || string(dpid[0].Info) != "1" {
				t.Errorf("h1: org TLVs %+v, Faucet TLVs %+v", org, dpid)
			}
			if hasMED {
				t.Errorf("h1 (office only) got a voice policy %+v", np)
			}
		case "h2", "h3":
			want := lldp.NetworkPolicy{App: lldp.AppVoice, Tagged: h.Name == "h3", VID: 200, Priority: 5, DSCP: 46}
			if !hasMED || np != want {
				t.Errorf("%s: voice policy %+v (present %v), want %+v", h.Name, np, hasMED, want)
			}
			caps := f.Orgs(lldp.OUITIA)[0]
			if caps.Subtype != lldp.MEDCapabilities || binary.BigEndian.Uint16(caps.Info)&3 != 3 || caps.Info[2] != 4 {
				t.Errorf("%s: first MED TLV %+v is not the capabilities of a network connectivity device", h.Name, caps)
			}
		}
	}
}

// A frame from a host's LLDP agent, on a receive_lldp port, is recorded as
// the port's neighbour.
func TestLLDPNeighbourFromHost(t *testing.T) {
	lab := newLab(t)
	ctl := e2etest.Start(t, config)
	e2etest.Must[*ovslab.Bridge](t)(lab.AddBridge("s1", 1, ovslab.WithController(ctl.Target())))
	h1 := e2etest.Must[*ovslab.Host](t)(lab.AddHost(ovslab.HostSpec{Name: "h1", Bridge: "s1", OFPort: 1}))
	ctx := e2etest.Context(t, 60*time.Second)
	if err := lab.WaitConnected(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	frame := lldp.Encode(lldp.NearestBridge, h1.MAC, []lldp.TLV{
		{Type: lldp.TypeChassisID, Value: append([]byte{lldp.ChassisMAC}, h1.MAC...)},
		{Type: lldp.TypePortID, Value: []byte("\x05eth0")},
		{Type: lldp.TypeTTL, Value: []byte{0, 120}},
		{Type: lldp.TypeSystemName, Value: []byte("phone-1")},
	})
	send := "import socket,binascii;s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind(('" + h1.Iface +
		"',0));s.send(binascii.unhexlify('" + hex.EncodeToString(frame) + "'))"
	mgr := ctl.App().Manager()
	for ctx.Err() == nil {
		if out, err := h1.Exec(ctx, "python3", "-c", send); err != nil {
			t.Fatalf("sending LLDP: %v %s", err, out)
		}
		ns, err := mgr.LLDPNeighbors(ctx, 1)
		if err == nil && len(ns) == 1 {
			n := ns[0]
			if n.Port != 1 || n.ChassisID != h1.MAC.String() || n.PortID != "eth0" || n.SystemName != "phone-1" || n.TTL != 120*time.Second {
				t.Fatalf("neighbour %+v", n)
			}
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatal("the host's LLDP frame was not recorded")
}
