package pipeline

import (
	"testing"

	"github.com/voipsdn/voipsdn/openflow/of13"
)

// Four ports: 1 and 2 untagged in office (100), 3 tagged office+voice,
// 4 untagged in voice (200).
const twoVLANs = `
vlans:
  office: {vid: 100}
  voice: {vid: 200}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office, voice]}
      4: {native_vlan: voice}
`

const (
	h1 = "00:00:00:00:00:01" // port 1, office
	h2 = "00:00:00:00:00:02" // port 2, office
	h3 = "00:00:00:00:00:03" // port 3, tagged office
	h4 = "00:00:00:00:00:04" // port 4, voice
)

func TestUntaggedHostsReachEachOtherAfterLearning(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	// Unknown source and destination: learn (controller) and flood the
	// VLAN, tagged members first; never to the other VLAN.
	r := s.send(eth(1, h1, h2))
	wantOuts(t, "h1->h2 before learning", r, "ctl", "2:u", "3:100")
	r = s.send(eth(2, h2, h1))
	wantOuts(t, "h2->h1 (h1 learned)", r, "ctl", "1:u")
	r = s.send(eth(1, h1, h2))
	wantOuts(t, "h1->h2 after learning", r, "2:u")
	r = s.send(eth(2, h2, h1))
	wantOuts(t, "h2->h1 after learning", r, "1:u")
}

func TestDifferentVLANsDoNotTalk(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	s.send(eth(4, h4, "ff:ff:ff:ff:ff:ff"))
	s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	// Both learned, but on different VLANs: unicast to the other VLAN's
	// host floods within the sender's VLAN and never reaches port 4.
	r := s.send(eth(1, h1, h4))
	wantOuts(t, "office->voice host", r, "2:u", "3:100")
	r = s.send(eth(4, h4, h1))
	wantOuts(t, "voice->office host", r, "3:200")
	r = s.send(eth(4, h4, "ff:ff:ff:ff:ff:ff"))
	wantOuts(t, "voice broadcast", r, "3:200")
}

func TestTaggedAndUntaggedSameVLAN(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	s.send(tagged(eth(3, h3, "ff:ff:ff:ff:ff:ff"), 100))
	s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	r := s.send(tagged(eth(3, h3, h1), 100))
	wantOuts(t, "tagged->untagged", r, "1:u")
	r = s.send(eth(1, h1, h3))
	wantOuts(t, "untagged->tagged", r, "3:100")
	// A VID the port does not carry is dropped in the vlan table.
	r = s.send(tagged(eth(3, h3, h1), 300))
	wantOuts(t, "unknown VID", r)
	// Tagged frames on an access port are dropped too.
	r = s.send(tagged(eth(1, h1, h3), 100))
	wantOuts(t, "tagged on access port", r)
}

func TestUntaggedOnTrunkWithoutNativeDropped(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	r := s.send(eth(3, h3, "ff:ff:ff:ff:ff:ff"))
	if !r.Dropped {
		t.Fatalf("untagged frame on a port without native_vlan must be dropped:\n%v", r)
	}
	if _, ok := s.learned.Host(100, mac(h3)); ok {
		t.Fatal("a dropped frame must not be learned")
	}
}

func TestFloodOrderTaggedPopUntagged(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	flood, _ := s.prog.Tables.ID(TableFlood)
	var found bool
	for _, f := range s.prog.Flows[VLANOwner(100)] {
		if f.Table != flood || f.Priority != priorityMatch+48 {
			continue
		}
		found = true
		want := []of13.Action{of13.Output(3), of13.PopVLAN(), of13.Output(1), of13.Output(2)}
		if !equalActions(f.Instr.Apply, want) {
			t.Fatalf("broadcast flood actions %v, want tagged, pop, untagged: %v", f.Instr.Apply, want)
		}
	}
	if !found {
		t.Fatal("no broadcast flood flow for VLAN 100")
	}
	r := s.send(eth(2, h2, "ff:ff:ff:ff:ff:ff"))
	wantOuts(t, "broadcast from port 2", r, "ctl", "1:u", "3:100")
	if r.Outputs[0].Port != 3 && r.Outputs[1].Port != 3 {
		t.Fatalf("tagged port must be output first: %v", r)
	}
}

func equalActions(a, b []of13.Action) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUnicastFloodOff(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100, unicast_flood: false}
  lab: {vid: 300}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      5: {native_vlan: lab}
      6: {native_vlan: lab, unicast_flood: false}
      7: {native_vlan: lab}
`)
	r := s.send(eth(1, h1, h2))
	wantOuts(t, "unknown unicast on a VLAN without unicast_flood", r, "ctl")
	r = s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff"))
	wantOuts(t, "broadcast still floods", r, "2:u")
	r = s.send(eth(5, "00:00:00:00:00:05", "00:00:00:00:00:99"))
	wantOuts(t, "port without unicast_flood skipped", r, "ctl", "7:u")
	r = s.send(eth(5, "00:00:00:00:00:05", "01:00:5e:00:00:01"))
	wantOuts(t, "multicast reaches it", r, "6:u", "7:u")
}

func TestLinkLocalAndControlFramesNotFlooded(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	for _, dst := range []string{
		"01:80:c2:00:00:00", // STP BPDU (802.1D)
		"01:80:c2:00:00:0e", // LLDP
		"01:80:c2:00:00:03", // 802.1X
		"01:00:0c:cc:cc:cd", // Cisco PVST
		"01:00:0c:cc:cc:cc", // CDP
	} {
		p := eth(1, h1, dst)
		p.EthType = EthTypeLLDP
		r := s.tbl.Trace(p)
		for _, o := range r.Outputs {
			if o.Port != of13.PortController {
				t.Fatalf("%s flooded to port %d:\n%v", dst, o.Port, r)
			}
		}
	}
	// Other 01:80:c2 group addresses outside the bridge-filtered range
	// flood like multicast.
	r := s.tbl.Trace(eth(1, h1, "01:80:c2:00:00:21"))
	wantOuts(t, "01:80:c2:00:00:21", r, "ctl", "2:u", "3:100")
}

func TestSpoofedAndBroadcastSourcesDropped(t *testing.T) {
	s := newSwitch(t, twoVLANs)
	for _, src := range []string{"0e:00:00:00:00:01", "ff:ff:ff:ff:ff:ff"} {
		r := s.tbl.Trace(eth(1, src, h2))
		if !r.Dropped {
			t.Fatalf("source %s must be dropped:\n%v", src, r)
		}
	}
	ectp := eth(1, h1, h2)
	ectp.EthType = EthTypeECTP
	if r := s.tbl.Trace(ectp); !r.Dropped {
		t.Fatalf("ECTP must be dropped:\n%v", r)
	}
	// With drop_spoofed_faucet_mac off the Faucet MAC is an ordinary host.
	s = newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    drop_spoofed_faucet_mac: false
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
`)
	if r := s.tbl.Trace(eth(1, "0e:00:00:00:00:01", h2)); r.Dropped {
		t.Fatalf("drop_spoofed_faucet_mac: false still drops:\n%v", r)
	}
}

func TestMirrorPort(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      9: {mirror: 1}
`)
	// Floods to a mirrored port copy to its mirror; floods from it are
	// copied once, on input.
	wantOuts(t, "flood to mirrored port", s.send(eth(2, h2, "ff:ff:ff:ff:ff:ff")), "ctl", "1:u", "9:u")
	wantOuts(t, "flood from mirrored port", s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff")), "ctl", "2:u", "9:u")
	r := s.send(eth(1, h1, h2))
	wantOuts(t, "from mirrored port", r, "2:u", "9:u")
	r = s.send(eth(2, h2, h1))
	// Output to a mirrored port copies to the mirror before the pop.
	wantOuts(t, "to mirrored port", r, "1:u", "9:100")
	// Nothing arriving on the mirror port is forwarded.
	if r := s.send(eth(9, "00:00:00:00:00:09", h1)); !r.Dropped {
		t.Fatalf("mirror port input forwarded:\n%v", r)
	}
}

func TestRestrictedBroadcastARPND(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {native_vlan: office, restricted_bcast_arpnd: true}
      4: {native_vlan: office, restricted_bcast_arpnd: true}
`)
	arp := eth(1, h1, "ff:ff:ff:ff:ff:ff")
	arp.EthType = EthTypeARP
	wantOuts(t, "ARP broadcast reaches restricted ports", s.tbl.Trace(arp), "ctl", "2:u", "3:u", "4:u")
	wantOuts(t, "other broadcast from an open port", s.tbl.Trace(eth(1, h1, "ff:ff:ff:ff:ff:ff")), "ctl", "2:u", "3:u", "4:u")
	// From a restricted port, only ARP/ND broadcasts reach the others.
	wantOuts(t, "other broadcast from a restricted port", s.tbl.Trace(eth(3, h3, "ff:ff:ff:ff:ff:ff")), "ctl", "1:u", "2:u")
	arp.InPort, arp.EthSrc = 3, mac(h3)
	wantOuts(t, "ARP from a restricted port", s.tbl.Trace(arp), "ctl", "1:u", "2:u", "4:u")
}

func TestCombinatorialPortFlood(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    combinatorial_port_flood: true
    interfaces:
      1: {native_vlan: office}
      2: {native_vlan: office}
      3: {tagged_vlans: [office]}
`)
	flood, _ := s.prog.Tables.ID(TableFlood)
	perPort := 0
	for _, f := range s.prog.Flows[VLANOwner(100)] {
		if _, ok := f.Match.Get(of13.FieldInPort); ok && f.Table == flood {
			perPort++
			for _, a := range f.Instr.Apply {
				if a.Type == of13.ActionOutput && uint64(a.Port) == f.Match[0].Uint() {
					t.Fatalf("per-port flood outputs to its own port: %s", f.String())
				}
			}
		}
	}
	if perPort != 3*5 {
		t.Fatalf("want a flood flow per port and destination (15), got %d", perPort)
	}
	wantOuts(t, "broadcast", s.tbl.Trace(eth(3, h3, "ff:ff:ff:ff:ff:ff").Tagged(100)), "ctl", "1:u", "2:u")
}

func TestHairpin(t *testing.T) {
	s := newSwitch(t, `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, hairpin: true}
      2: {native_vlan: office}
`)
	// Floods from a hairpin port go back out of it too.
	wantOuts(t, "flood from hairpin port", s.send(eth(1, h1, "ff:ff:ff:ff:ff:ff")), "ctl", "1:u", "2:u")
	s.send(eth(1, "00:00:00:00:00:11", "ff:ff:ff:ff:ff:ff"))
	wantOuts(t, "flood from other port", s.send(eth(2, h2, "ff:ff:ff:ff:ff:ff")), "ctl", "1:u")
	wantOuts(t, "hairpin back out the same port", s.tbl.Trace(eth(1, "00:00:00:00:00:11", h1)), "1:u")
	wantOuts(t, "from another port", s.tbl.Trace(eth(2, h2, h1)), "1:u")
}
