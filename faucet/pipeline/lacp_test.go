package pipeline

import (
	"slices"
	"testing"

	"github.com/voipsdn/voipsdn/openflow/oftable"
)

// Ports 1 and 2 are LAG 7 in office (untagged), 3 an office access port,
// 4 an office trunk, 5 a port of LAG 8 alone.
const lagConfig = `
vlans:
  office: {vid: 100}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, lacp: 7}
      2: {native_vlan: office, lacp: 7}
      3: {native_vlan: office}
      4: {tagged_vlans: [office]}
      5: {native_vlan: office, lacp: 8}
`

const bcast = "ff:ff:ff:ff:ff:ff"

func lacpdu(in uint32) oftable.Packet {
	return oftable.Packet{InPort: in, EthSrc: mac("02:00:00:00:00:aa"), EthDst: mac("01:80:c2:00:00:02"), EthType: EthTypeSlow}
}

// setLAG marks LACP ports forwarding or not and reloads the switch.
func (s *testSwitch) setLAG(fwd bool, ports ...uint32) {
	s.t.Helper()
	for _, p := range ports {
		s.learned.SetLACPForwarding(s.dp, p, fwd)
	}
	s.reload()
}

func TestLAGMembersDropUntilUp(t *testing.T) {
	s := newSwitch(t, lagConfig)
	// LACPDUs reach the controller whatever the state.
	for _, p := range []uint32{1, 2, 5} {
		wantOuts(t, "LACPDU", s.send(lacpdu(p)), "ctl")
	}
	// Nothing else passes a member that is not up, and floods skip LAGs
	// without a member up.
	wantOuts(t, "frame from a member not up", s.send(eth(1, h1, bcast)))
	wantOuts(t, "flood with no LAG up", s.send(eth(3, h3, bcast)), "ctl", "4:100")

	s.setLAG(true, 1)
	wantOuts(t, "frame from the up member", s.send(eth(1, h1, bcast)), "ctl", "3:u", "4:100")
	wantOuts(t, "frame from the member not up", s.send(eth(2, h2, bcast)))
	wantOuts(t, "LACPDU on the member not up", s.send(lacpdu(2)), "ctl")
}

// TestLAGFloodsToOneMember: a flood reaches each LAG once, through its
// first member that is up, and never goes back into the LAG it came from.
func TestLAGFloodsToOneMember(t *testing.T) {
	s := newSwitch(t, lagConfig)
	s.setLAG(true, 1, 2, 5)
	wantOuts(t, "flood from an access port", s.send(eth(3, h3, bcast)), "ctl", "1:u", "4:100", "5:u")
	wantOuts(t, "flood from a trunk", s.send(tagged(eth(4, "00:00:00:00:00:44", bcast), 100)), "ctl", "1:u", "3:u", "5:u")
	wantOuts(t, "flood from the flooded member", s.send(eth(1, h1, bcast)), "ctl", "3:u", "4:100", "5:u")
	wantOuts(t, "flood from the other member", s.send(eth(2, h2, bcast)), "ctl", "3:u", "4:100", "5:u")
	wantOuts(t, "flood from another LAG", s.send(eth(5, "00:00:00:00:00:55", bcast)), "ctl", "1:u", "3:u", "4:100")

	// Member 1 leaves: floods move to member 2.
	s.setLAG(false, 1)
	wantOuts(t, "flood after member 1 left (h3 known)", s.send(eth(3, h3, bcast)), "2:u", "4:100", "5:u")
	wantOuts(t, "frame from the member that left", s.send(eth(1, h1, bcast)))
}

// TestLAGUnicastToLearnedMember: a host behind the LAG is learned on the
// member it was heard on and reached through it.
func TestLAGUnicastToLearnedMember(t *testing.T) {
	s := newSwitch(t, lagConfig)
	s.setLAG(true, 1, 2)
	s.send(eth(2, h2, bcast))
	wantOuts(t, "to the host behind the LAG", s.send(eth(3, h3, h2)), "ctl", "2:u")
}

func TestSetLACPForwardingOwners(t *testing.T) {
	dp := loadDP(t, lagConfig)
	l := NewLearned()
	got := l.SetLACPForwarding(dp, 2, true)
	if want := []string{PortOwner(2), VLANOwner(100)}; !slices.Equal(got, want) {
		t.Fatalf("owners %v, want %v", got, want)
	}
	if got := l.SetLACPForwarding(dp, 2, true); got != nil {
		t.Fatalf("no change, owners %v", got)
	}
	if got := l.SetLACPForwarding(dp, 3, true); got != nil || l.LACPForwarding(3) {
		t.Fatalf("non-LACP port accepted: %v", got)
	}
	before, _ := Compile(dp, l)
	fresh := NewLearned()
	fresh.CopyLACP(l)
	after, _ := Compile(dp, fresh)
	for _, o := range []string{PortOwner(2), VLANOwner(100)} {
		if flowText(before.Flows[o]) != flowText(after.Flows[o]) {
			t.Errorf("%s differs after CopyLACP", o)
		}
	}
}
