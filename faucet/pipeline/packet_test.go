package pipeline

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Real frames: a tagged ARP request, an IPv4 UDP (RTP) packet, an IPv6
// neighbour solicitation, an LLDP frame.
const (
	arpTagged = `ffffffffffff 000000000001 8100 0064 0806
		0001 0800 06 04 0001 000000000001 0a000001 000000000000 0a0000fe`
	udpRTP = `000000000002 000000000001 0800
		45b8001c00004000 4011 0000 0a000001 0a000002
		9c40 4e20 0008 0000`
	ndSolicit = `3333ff000001 000000000001 86dd
		60000000 0020 3a ff fe800000000000000000000000000001 ff0200000000000000000001ff000001
		87 00 0000 00000000 fc0000000000000000000000000000fe`
	lldp = `0180c200000e 000000000001 88cc 020704000000000001`
)

func TestParsePacket(t *testing.T) {
	p, err := ParsePacket(hexBytes(t, arpTagged))
	if err != nil || !p.Tagged || p.VLAN != 100 || p.EthType != EthTypeARP || p.ARPOp != 1 ||
		p.ARPTPA != netip.MustParseAddr("10.0.0.254") || p.ARPSHA.String() != "00:00:00:00:00:01" {
		t.Fatalf("tagged ARP: %+v %v", p, err)
	}
	p, err = ParsePacket(hexBytes(t, udpRTP))
	if err != nil || p.Tagged || p.IPProto != IPProtoUDP || p.DSCP != 46 || p.SrcPort != 40000 || p.DstPort != 20000 ||
		p.IPDst != netip.MustParseAddr("10.0.0.2") {
		t.Fatalf("UDP: %+v %v", p, err)
	}
	p, err = ParsePacket(hexBytes(t, ndSolicit))
	if err != nil || p.IPProto != IPProtoICMPv6 || p.ICMPType != ICMPv6NeighborSolicit ||
		p.NDTarget != netip.MustParseAddr("fc00::fe") {
		t.Fatalf("ND: %+v %v", p, err)
	}
	p, err = ParsePacket(hexBytes(t, lldp))
	if err != nil || p.EthType != EthTypeLLDP || p.EthDst.String() != "01:80:c2:00:00:0e" {
		t.Fatalf("LLDP: %+v %v", p, err)
	}
	// Packet-ins are truncated: fields that fit are kept, the rest flagged.
	full := hexBytes(t, udpRTP)
	p, err = ParsePacket(full[:30])
	if err != nil || !p.Truncated || p.EthType != EthTypeIPv4 || p.IPProto != 0 {
		t.Fatalf("truncated: %+v %v", p, err)
	}
	if _, err := ParsePacket(full[:10]); !errors.Is(err, ErrShortPacket) {
		t.Fatalf("short: %v", err)
	}
}

func FuzzParsePacket(f *testing.F) {
	for _, s := range []string{arpTagged, udpRTP, ndSolicit, lldp} {
		f.Add(hexBytes(f, s))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePacket(data)
		if err != nil {
			if len(data) >= 14 {
				t.Fatalf("error on a frame with an Ethernet header: %v", err)
			}
			return
		}
		if len(p.EthSrc) != 6 || len(p.EthDst) != 6 {
			t.Fatal("MACs must be 6 bytes")
		}
		// Parsing must not alias the input.
		if len(data) > 0 {
			data[0] ^= 0xff
			if p.EthDst[0] == data[0] {
				t.Fatal("EthDst aliases the input")
			}
		}
	})
}

const classifyConfig = `
vlans:
  office: {vid: 100, faucet_vips: ["10.0.0.254/24", "fc00::fe/64"]}
  voice: {vid: 200}
dps:
  sw1:
    dp_id: 1
    interfaces:
      1: {native_vlan: office, tagged_vlans: [voice], lacp: 1}
      2: {tagged_vlans: [voice]}
      3: {native_vlan: office, enabled: false}
      9: {output_only: true}
`

func TestClassify(t *testing.T) {
	dp := loadDP(t, classifyConfig)
	parse := func(s string) *Packet {
		p, err := ParsePacket(hexBytes(t, s))
		if err != nil {
			t.Fatal(err)
		}
		return &p
	}
	vipARP := parse(arpTagged) // tagged 100, asks for 10.0.0.254
	otherARP := parse(strings.Replace(arpTagged, "0a0000fe", "0a000002", 1))
	untaggedUDP := parse(udpRTP)
	taggedVoice := parse(strings.Replace(udpRTP, "0800", "8100 00c8 0800", 1))
	spoof := parse(strings.Replace(udpRTP, "000000000001 0800", "0e0000000001 0800", 1))
	mcastSrc := parse(strings.Replace(udpRTP, "000000000001 0800", "010000000001 0800", 1))
	lacp := parse("0180c2000002 000000000001 8809 0101")
	for _, c := range []struct {
		name    string
		port    uint32
		pkt     *Packet
		verdict Verdict
		control string
		vid     uint16
	}{
		{"ARP for a VIP", 1, vipARP, VerdictControl, ControlARP, 100},
		{"ARP for a host", 1, otherARP, VerdictLearn, "", 100},
		{"ND for a VIP", 1, parse(ndSolicit), VerdictControl, ControlND, 100},
		{"untagged UDP on native", 1, untaggedUDP, VerdictLearn, "", 100},
		{"tagged voice", 1, taggedVoice, VerdictLearn, "", 200},
		{"untagged on trunk", 2, untaggedUDP, VerdictDrop, "", 0},
		{"VID not on port", 2, vipARP, VerdictDrop, "", 100},
		{"disabled port", 3, untaggedUDP, VerdictDrop, "", 0},
		{"output-only port", 9, untaggedUDP, VerdictDrop, "", 0},
		{"unknown port", 42, untaggedUDP, VerdictDrop, "", 0},
		{"spoofed Faucet MAC", 1, spoof, VerdictDrop, "", 100},
		{"multicast source", 1, mcastSrc, VerdictDrop, "", 0},
		{"LLDP", 1, parse(lldp), VerdictControl, ControlLLDP, 0},
		{"LACP", 1, lacp, VerdictControl, ControlLACP, 0},
		{"LACP without lacp", 2, lacp, VerdictDrop, "", 0},
	} {
		got := Classify(dp, c.port, c.pkt)
		if got.Verdict != c.verdict || got.Control != c.control || got.VID != c.vid {
			t.Errorf("%s: %+v, want %v %q vid %d", c.name, got, c.verdict, c.control, c.vid)
		}
		if got.Verdict == VerdictDrop && got.Reason == "" {
			t.Errorf("%s: drop without a reason", c.name)
		}
	}
}
